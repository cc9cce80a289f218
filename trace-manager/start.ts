import type { Logger } from "pino";
import { systemClock, systemTimers, type Clock, type Timers } from "./clock.js";
import type { TraceManagerConfig } from "./config.js";
import type { TraceStore } from "./store/port.js";
import { createMetrics, type TraceManagerMetrics } from "./metrics.js";
import { createLogger } from "./logger.js";
import { DIRTY_REASONS, DirtyState } from "./durable/dirty.js";
import { Recorder } from "./durable/recorder.js";
import { UpgradesCache } from "./gateway/upgrades-cache.js";
import { sidecarCheck } from "./check/sidecar-check.js";
import { gatewayCheck } from "./check/gateway-check.js";
import { IgnoredRequestIds } from "./check/ignored-request-ids.js";
import { OK_PLAIN, okRemovingHeader } from "./check/responses.js";
import { serveAlsStream } from "./als/als-stream.js";
import { startEnvoyGrpcServer } from "./server/grpc-server.js";
import { startAdminServer } from "./server/admin-http.js";
import { removeSocket } from "./server/socket-file.js";
import { Heartbeat } from "./heartbeat/heartbeat.js";
import type { EnvoySource } from "./heartbeat/envoy-source.js";
import { envoyAdminSource } from "./heartbeat/envoy-admin-source.js";
import type { PodReport } from "./store/port.js";
import { StoreLineage } from "./durable/store-lineage.js";
import { readRestartEvidence } from "./durable/restart-evidence.js";
import { unprovenRestart } from "./durable/restart-proof.js";

/** What `startTraceManager` can be given instead of building it from the config. */
export interface TraceManagerDeps {
  /** The store to write to. It stays open on stop unless `ownsStore` is true. */
  readonly store: TraceStore;
  readonly ownsStore?: boolean;
  readonly clock?: Clock;
  readonly timers?: Timers;
  readonly logger?: Logger;
  /** The pod's Envoy; default: the admin client at `config.envoyAdminUrl`, or none. */
  readonly envoy?: EnvoySource | null;
}

/** A running TraceManager. */
export interface RunningTraceManager {
  readonly socketPath: string;
  readonly adminPort: number;
  readonly metrics: TraceManagerMetrics;
  /** Runs one heartbeat now (tests, and the final beat on stop). */
  heartbeat(): Promise<PodReport>;
  /** Graceful stop: stop accepting, flush buffers, final heartbeat, close the socket (and the store if owned). */
  stop(): Promise<void>;
}

/** How long a stop waits for in-flight calls and for buffered records to drain. */
const STOP_GRACE_MS = 2000;
const FLUSH_TIMEOUT_MS = 5000;

/** Starts a TraceManager (several may run in one process, e.g. the local mesh). */
export async function startTraceManager(
  config: TraceManagerConfig,
  deps: TraceManagerDeps,
): Promise<RunningTraceManager> {
  const clock = deps.clock ?? systemClock;
  const timers = deps.timers ?? systemTimers;
  const log = deps.logger ?? createLogger(config.logLevel, { role: config.role, pod: config.pod });
  const metrics = createMetrics();
  const { store } = deps;
  const dirty = new DirtyState(config.dirtyHoldMs, (reason, first) => {
    metrics.dirtyEvents.inc({ reason });
    if (first) log.warn({ reason }, "pod is dirty");
  });
  const recorder = new Recorder(config, { store, metrics, dirty, clock, timers, log });
  const upgrades = new UpgradesCache(store, config.weightCacheMs, clock, (err) =>
    log.warn({ err }, "cannot read active upgrades"),
  );
  const envoy =
    deps.envoy !== undefined
      ? deps.envoy
      : config.envoyAdminUrl === null
        ? null
        : envoyAdminSource(config.envoyAdminUrl, config.role, Math.max(200, config.heartbeatMs / 2));

  if (envoy === null && deps.envoy === undefined)
    log.warn(
      "no Envoy admin configured (TM_ENVOY_ADMIN_URL): ext_authz fail-opens and dropped access logs go undetected",
    );
  // Before serving anything: can this TraceManager prove that nothing admitted before it is missing?
  const unproven = unprovenRestart(await readRestartEvidence(store, envoy, config.pod, clock()));
  if (unproven !== null) {
    dirty.raise(DIRTY_REASONS.restartUnproven, clock(), config.maxTransactionAgeMs);
    log.warn(
      { why: unproven, cleanAt: new Date(clock() + config.maxTransactionAgeMs).toISOString() },
      "records admitted before this TraceManager started cannot be proven durable; the pod stays dirty for maxTransactionAge",
    );
  }
  const lineage = new StoreLineage(store, config.pod, dirty, config.maxTransactionAgeMs, (why) =>
    log.error({ why }, "the store lost records; the pod stays dirty for maxTransactionAge"),
  );
  await lineage.check(clock(), 0);
  // A gateway starts with the upgrade list in hand, so its first Checks need not wait for it.
  if (config.role === "gateway") await upgrades.refresh();

  const ignoredIds = new IgnoredRequestIds(metrics.ignoredRequestIds);
  const check =
    config.role === "sidecar"
      ? sidecarCheck(config, recorder, metrics, clock, ignoredIds)
      : gatewayCheck(config, upgrades, recorder, dirty, metrics, clock, ignoredIds);
  const id = { role: config.role, service: config.service, version: config.version, pod: config.pod };
  const grpc = await startEnvoyGrpcServer(
    config.socketPath,
    {
      check,
      headerLimits: config,
      checkFallback: config.role === "gateway" ? okRemovingHeader(config.enrolmentHeader) : OK_PLAIN,
      accessLogs: (call, reply) => serveAlsStream(call, reply, { id, recorder, metrics, clock, log }),
    },
    metrics,
    log,
  );
  let admin;
  try {
    admin = await startAdminServer(config.adminHost, config.adminPort, {
      registry: metrics.registry,
      storeReachable: () => store.ping(),
      readyTimeoutMs: 1000,
    });
  } catch (err) {
    await grpc.shutdown(0);
    await removeSocket(config.socketPath);
    throw err;
  }
  const heartbeat = new Heartbeat({
    identity: id,
    intervalMs: config.heartbeatMs,
    watermarkLagMs: config.watermarkLagMs,
    store,
    recorder,
    dirty,
    upgrades,
    envoy,
    ignoredIds,
    lineage,
    metrics,
    clock,
    timers,
    log,
  });
  heartbeat.start();
  log.info(
    { socket: config.socketPath, adminPort: admin.port, store: config.store.kind },
    "TraceManager serving",
  );

  let stopping: Promise<void> | null = null;
  return {
    socketPath: config.socketPath,
    adminPort: admin.port,
    metrics,
    heartbeat: () => heartbeat.beat(),
    stop: () =>
      (stopping ??= (async () => {
        await heartbeat.stop();
        await grpc.shutdown(STOP_GRACE_MS);
        const drained = await recorder.drain(FLUSH_TIMEOUT_MS);
        if (!drained) log.error({ left: recorder.pending }, "records still buffered at shutdown are dropped");
        recorder.close();
        // The last beat certifies what was flushed.
        await heartbeat.beat().catch(() => undefined);
        await removeSocket(config.socketPath).catch((err: unknown) =>
          log.warn({ err }, "cannot remove the socket"),
        );
        await admin.close();
        if (deps.ownsStore === true) await store.close();
        log.info({ drained }, "TraceManager stopped");
      })()),
  };
}
