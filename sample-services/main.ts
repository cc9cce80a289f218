/**
 * Starts one sample service from the environment (see ENV_HELP in env-config.ts), e.g.
 * `SERVICE=auth-service VERSION=v2 STORE_URL=redis://127.0.0.1:6379 npx tsx sample-services/main.ts`.
 * SIGTERM/SIGINT: stop serving, drain, close the store, exit 0.
 */
import { pino } from "pino";
import { ENV_HELP, parseServiceEnv } from "./env-config.js";
import { launchService } from "./launch.js";
import { MemorySampleStore } from "./store/memory-store.js";
import { RedisSampleStore } from "./store/redis-store.js";
import type { SampleStore } from "./store/sample-store.js";
import { seedSampleData } from "./store/seed.js";

async function main(): Promise<void> {
  let config;
  try {
    config = parseServiceEnv(process.env);
  } catch (err) {
    process.stderr.write(`sample service: ${(err as Error).message}\n\nEnvironment:\n${ENV_HELP}\n`);
    process.exit(2);
  }
  const logger = pino({ level: config.logLevel, name: "sample-services" });
  const store: SampleStore =
    config.storeUrl === "memory" ? new MemorySampleStore() : await RedisSampleStore.connect(config.storeUrl);
  if (config.storeUrl === "memory") logger.warn("STORE_URL=memory: state is private to this process");
  if (config.seed) await seedSampleData(store);
  const service = await launchService({ ...config, store, logger });
  logger.info(
    { address: service.address, admin: service.adminAddress, protocol: service.protocol },
    "started",
  );

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    service
      .stop()
      .then(() => store.close())
      .then(
        () => {
          logger.flush();
          process.exit(0);
        },
        (err: unknown) => {
          logger.error({ err }, "shutdown failed");
          logger.flush();
          process.exit(1);
        },
      );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((err: unknown) => {
  process.stderr.write(
    `sample service failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
