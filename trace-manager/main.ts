/**
 * The TraceManager process: configuration from the environment (see `ENV_VARS` in config.ts),
 * serve until SIGTERM or SIGINT, then stop accepting, flush, close, and exit 0.
 */
import { ConfigError, configFromEnv } from "./config.js";
import { createLogger } from "./logger.js";
import { openStore } from "./store-factory.js";
import { startTraceManager } from "./start.js";
import { missingSidecarFlags } from "./node-flags.js";

async function main(): Promise<void> {
  let config;
  try {
    config = configFromEnv(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel, { role: config.role, pod: config.pod });
  const missing = missingSidecarFlags(process.execArgv);
  // Not fatal (tests and the local mesh run without them), but a pod should use them: see node-flags.ts.
  if (missing.length > 0) log.info({ missing }, "started without the sidecar Node flags");
  const store = await openStore(config.store);
  const tm = await startTraceManager(config, { store, ownsStore: true, logger: log });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping");
    tm.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, "stop failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((err: unknown) => {
  process.stderr.write(
    `TraceManager failed to start: ${err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ""}` : String(err)}\n`,
  );
  process.exit(1);
});
