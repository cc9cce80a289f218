#!/usr/bin/env -S npx tsx
/**
 * `tranquil-injector`: the TraceManager injection webhook in a cluster. Reads its
 * `TRANQUIL_INJECT_*` environment (injector-config.ts), loads the in-cluster credentials, gets
 * its certificate, serves until SIGTERM or SIGINT, then closes. Exit status: 0 after a graceful
 * stop, 2 for bad configuration, 1 when it cannot start.
 */
import { KubeConfig } from "@kubernetes/client-node";
import { pathToFileURL } from "node:url";
import { pino } from "pino";
import { InjectorConfigError, injectorConfigFromEnv } from "./injector-config.js";
import { startInjector } from "./start-injector.js";

/** The version written to injected pods' `tranquil.dev/injected` annotation. */
export const INJECTOR_VERSION = "0.1.0";

/** Runs the webhook until a signal stops it; resolves to the exit status. */
export async function main(env: NodeJS.ProcessEnv): Promise<number> {
  let config;
  try {
    config = injectorConfigFromEnv(env);
  } catch (err) {
    if (err instanceof InjectorConfigError) {
      process.stderr.write(`tranquil-injector: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = pino({ name: "tranquil-injector", level: config.logLevel });
  try {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    const injector = await startInjector({ config, kc, logger, version: INJECTOR_VERSION });
    process.stdout.write(`tranquil-injector serving ${injector.server.url}\n`);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once("SIGTERM", () => resolve("SIGTERM"));
      process.once("SIGINT", () => resolve("SIGINT"));
    });
    logger.info({ signal }, "stopping");
    await injector.stop();
    return 0;
  } catch (err) {
    logger.error({ err }, "the injection webhook could not start");
    return 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.env);
}
