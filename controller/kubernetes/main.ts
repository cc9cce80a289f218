#!/usr/bin/env -S npx tsx
/**
 * `tranquil-controller`: the controller in a cluster. Reads its flags and TRANQUIL_*
 * variables (one schema, `--help` prints it), loads the kubeconfig, checks the API server,
 * the CRDs and its own RBAC before it starts (one message listing every problem), then serves
 * `/healthz`, `/readyz`, `/metrics` and the HTTP API and reconciles while it holds the Lease.
 * SIGTERM or SIGINT stop it gracefully: the API closes, the reconciler finishes its ticks, the
 * Lease is released (the standby takes over at once), informers and Redis close. Exit status:
 * 0 after a graceful stop, 2 for bad configuration, 1 when it cannot start.
 */
import { pino } from "pino";
import { RedisTraceStore } from "../../trace-manager/store/redis.js";
import { readApiToken } from "./config/api-token.js";
import { ConfigError } from "./config/config-problems.js";
import { loadControllerKubeConfig } from "./config/kube-config.js";
import { isHelpRequest, parseControllerConfig } from "./config/parse-config.js";
import { startupCheck } from "./config/startup-check.js";
import { controllerUsage } from "./config/usage.js";
import { startKubeAdapters } from "./kube-adapters.js";
import { startKubeController } from "./kube-controller.js";
import { LeaseElector } from "./leader/lease-election.js";

/** Runs the controller until a signal stops it; resolves to the exit status. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (isHelpRequest(argv)) {
    process.stdout.write(`${controllerUsage()}\n`);
    return 0;
  }
  let config;
  let token: string;
  try {
    config = parseControllerConfig({ argv, env });
    token = readApiToken(config.api.token);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(
        `tranquil-controller: ${err.message}\n(run tranquil-controller --help for usage)\n`,
      );
      return 2;
    }
    throw err;
  }
  const logger = pino({ name: "tranquil-controller", level: config.logLevel });
  try {
    const { kc, source } = loadControllerKubeConfig(config.kube, { env });
    const namespaces = config.namespaces === "all" ? undefined : config.namespaces;
    const report = await startupCheck(kc, {
      namespaces: config.namespaces,
      controllerNamespace: config.controllerNamespace,
    });
    logger.info(
      { kubeconfig: source, server: kc.getCurrentCluster()?.server, ...report },
      "API server checked",
    );
    const traceStore = new RedisTraceStore({ redis: config.redisUrl });
    const adapters = await startKubeAdapters({
      kc,
      logger,
      ...(namespaces !== undefined ? { namespaces } : {}),
    });
    const { name, ...timings } = config.lease;
    const elector = new LeaseElector({ kc, namespace: config.controllerNamespace, name, ...timings, logger });
    const controller = await startKubeController({
      adapters,
      leadership: elector,
      traceStore,
      logger,
      token,
      host: config.api.address,
      port: config.api.port,
      allowedHosts: config.api.allowedHosts,
      maxStreams: config.api.maxStreams,
      ...(config.prometheus.address !== undefined ? { prometheusAddress: config.prometheus.address } : {}),
      prometheusTimeoutMs: config.prometheus.timeoutMs,
      notify: config.notify,
    });
    process.stdout.write(`tranquil-controller serving ${controller.apiUrl}\n`);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once("SIGTERM", () => resolve("SIGTERM"));
      process.once("SIGINT", () => resolve("SIGINT"));
    });
    logger.info({ signal }, "stopping gracefully");
    await controller.stop();
    await traceStore.close();
    logger.info("stopped");
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tranquil-controller: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(
      `tranquil-controller: cannot start: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    return 1;
  }
}

// Run from its source, its build (`node dist/controller/kubernetes/main.js`, as the image does) or the bin link.
const invoked = process.argv[1] ?? "";
if (/controller\/kubernetes\/main\.[jt]s$/.test(invoked) || invoked.endsWith("tranquil-controller")) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(
        `tranquil-controller: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}
