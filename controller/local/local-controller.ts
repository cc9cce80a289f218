/**
 * The controller on the local mesh, in one process: the upgrade store (a state file, or memory),
 * the local backend (config-store routes, runtime workloads and inventory, trace-store
 * observations and enrolment, logged events), the reconciler, and the HTTP API on 127.0.0.1.
 */
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { MeshHandle } from "../../istio/local-mesh/runtime/mesh-runtime.js";
import { createApi } from "../api/server.js";
import { DEFAULT_SETTINGS, type Settings } from "../engine/types.js";
import { IstioRouter } from "../istio/istio-router.js";
import { ControllerMetrics } from "../metrics.js";
import { startNotifier } from "../notify/start-notifier.js";
import type { NotifySettings } from "../notify/notify-config.js";
import { prometheusDeps } from "../observe/prometheus-deps.js";
import { TraceObserver } from "../observe/trace-observer.js";
import { TraceStoreEnrolment } from "../observe/trace-enrolment.js";
import type { Backend, MetricsQuery } from "../ports/index.js";
import { notReadyReasons } from "../reconciler/readiness.js";
import { Reconciler } from "../reconciler/reconciler.js";
import { startSweeper } from "../../trace-manager/store/sweeper.js";
import { ConfigStoreRouteTable } from "./config-store-route-table.js";
import { FileUpgradeStore, type EndedRetention } from "./file-upgrade-store.js";
import { listenOn } from "./listen.js";
import { LogEventRecorder } from "./log-event-recorder.js";
import { meshValidationFacts } from "./mesh-facts.js";
import { MeshInventory } from "./mesh-inventory.js";
import { MeshWorkloads } from "./mesh-workloads.js";
import { FileTokens, SECRETS_DIR_ENV } from "../webhooks/file-tokens.js";
import { HttpWebhooks } from "../webhooks/http-webhooks.js";

/** Options of {@link startLocalController}. */
export interface LocalControllerOptions {
  readonly mesh: MeshHandle;
  readonly logger: Logger;
  /** The upgrade state file; omitted = memory only. */
  readonly statePath?: string;
  /**
   * A store already opened (its lock taken, its file validated), used instead of opening
   * `statePath`; the controller closes it when it stops, or when it fails to start.
   */
  readonly store?: FileUpgradeStore;
  /** How many ended upgrades the state file keeps, and how long (default: the store's). */
  readonly endedRetention?: EndedRetention;
  readonly settings?: Settings;
  /** Reconcile tick interval (ms). */
  readonly intervalMs?: number;
  /** API port on 127.0.0.1 (0 = free). */
  readonly apiPort?: number;
  /** API bearer token; generated when omitted. */
  readonly token?: string;
  readonly clock?: () => number;
  /** How often expired trace records are swept (one bucket width is enough). */
  readonly sweepIntervalMs?: number;
  /**
   * The Prometheus provider for the spec's Prometheus checks (replaces `prometheusAddress`).
   * Without either, only upgrades that name their own `analysis.prometheusAddress` may have them.
   */
  readonly metricsQuery?: MetricsQuery;
  /** The install's Prometheus, e.g. `http://127.0.0.1:9090`. */
  readonly prometheusAddress?: string;
  /** How long one Prometheus query may take, retries included (default 5 s). */
  readonly prometheusTimeoutMs?: number;
  /**
   * Where the webhook gates' bearer tokens live, as `<dir>/<secretRef.name>/<key>` (default:
   * `TRANQUIL_SECRETS_DIR`; without either, a gate that names a secretRef is not called).
   */
  readonly secretsDir?: string;
  /** Pause before a webhook gate's first retry (default 200 ms; it doubles). */
  readonly webhookBackoffMs?: number;
  /**
   * Wraps every port the controller uses (the store and the backend) before it starts; tests
   * use it to cut a controller off as a crash would.
   */
  readonly interpose?: <T extends object>(port: T) => T;
  /** Where phase changes, rollbacks, aborts and long waits are notified (docs/notifications.md). */
  readonly notify?: NotifySettings;
}

/** A running local controller. */
export interface LocalController {
  readonly store: FileUpgradeStore;
  readonly reconciler: Reconciler;
  readonly workloads: MeshWorkloads;
  readonly metrics: ControllerMetrics;
  readonly events: LogEventRecorder;
  /** `http://127.0.0.1:<port>` of the HTTP API. */
  readonly apiUrl: string;
  readonly token: string;
  /** Stops the reconciler and the API (the mesh is the caller's). */
  stop(): Promise<void>;
  /**
   * Stops ticking and closes the API without waiting for what is in flight (with `interpose`,
   * what a crash leaves behind). Start a new controller on the same state file to resume.
   */
  halt(): void;
}

/** The webhook gates' client, with tokens from the secrets directory when one is named. */
function localWebhooks(options: LocalControllerOptions): HttpWebhooks {
  const dir = options.secretsDir ?? process.env[SECRETS_DIR_ENV];
  return new HttpWebhooks({
    ...(dir !== undefined && dir !== "" ? { tokens: new FileTokens(dir) } : {}),
    ...(options.webhookBackoffMs !== undefined ? { backoffMs: options.webhookBackoffMs } : {}),
  });
}

/**
 * Starts the controller against a running local mesh. When it cannot start (a refused state
 * file, a busy port, a bad token) it closes what it opened, the store's lock included, and
 * rejects with the cause.
 */
export async function startLocalController(options: LocalControllerOptions): Promise<LocalController> {
  const clock = options.clock ?? Date.now;
  const store =
    options.store ??
    (await FileUpgradeStore.open({
      ...(options.statePath !== undefined ? { path: options.statePath } : {}),
      ...(options.endedRetention !== undefined ? { endedRetention: options.endedRetention } : {}),
      clock,
    }));
  try {
    return await startOnStore(options, store, clock);
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
}

async function startOnStore(
  options: LocalControllerOptions,
  store: FileUpgradeStore,
  clock: () => number,
): Promise<LocalController> {
  const { mesh, logger } = options;
  const settings = options.settings ?? DEFAULT_SETTINGS;
  const workloads = new MeshWorkloads(mesh, clock);
  const interpose = options.interpose ?? (<T extends object>(port: T): T => port);
  const router = new IstioRouter({
    table: new ConfigStoreRouteTable(mesh.configStore),
    enrolmentHeader: settings.enrolmentHeader,
  });
  const observer = new TraceObserver({
    traceStore: mesh.traceStore,
    workloads,
    router,
    // The runtime forgets a pod once it has stopped, so its last report stops counting.
    inventory: new MeshInventory(mesh),
    validationFacts: (upgrade) =>
      meshValidationFacts(
        { topology: mesh.topology, configStore: mesh.configStore, workloads, upgrades: store },
        upgrade,
      ),
    ...prometheusDeps(options),
  });
  const events = new LogEventRecorder(logger.child({ component: "events" }));
  const metrics = new ControllerMetrics();
  const notifier = startNotifier(options.notify, { registry: metrics.registry, logger, store, clock });
  const backend: Backend = {
    router: interpose(router),
    workloads: interpose(workloads),
    observer: interpose(observer),
    enrolment: interpose(new TraceStoreEnrolment(mesh.traceStore, clock)),
    events: interpose(notifier?.wrap(events) ?? events),
    webhooks: interpose(localWebhooks(options)),
  };
  const reconciler = new Reconciler({
    store: interpose(store),
    backend,
    logger: logger.child({ component: "reconciler" }),
    settings,
    metrics,
    clock,
    ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}),
  });
  const token = options.token ?? randomBytes(24).toString("base64url");
  const app = createApi({
    store,
    token,
    logger: logger.child({ component: "api" }),
    clock,
    metrics: metrics.registry,
    notReady: () => notReadyReasons(reconciler),
    recentEvents: (key) => events.recent(key),
  });
  const server = await listenOn(app, options.apiPort ?? 0, "127.0.0.1");
  const port = (server.address() as AddressInfo).port;
  reconciler.start();
  // Expired trace records are reported (an active one means a transaction was lost) and dropped.
  const sweeper = startSweeper(mesh.traceStore, {
    intervalMs: options.sweepIntervalMs ?? 60_000,
    clock,
    onExpiries: (expiries) => logger.warn({ expiries }, "active trace records expired (transactions lost)"),
    onError: (err) => logger.warn({ err }, "trace store sweep failed; retrying on the next tick"),
  });
  logger.info({ apiUrl: `http://127.0.0.1:${port}` }, "controller started");
  return {
    store,
    reconciler,
    workloads,
    metrics,
    events,
    apiUrl: `http://127.0.0.1:${port}`,
    token,
    halt: () => {
      reconciler.halt();
      void notifier?.stop(0);
      // As a crash would: nothing more is written, and the state file's lock is free.
      store.abandon();
      void sweeper.stop();
      server.closeAllConnections();
      server.close();
    },
    stop: async () => {
      await reconciler.stop();
      await notifier?.stop();
      await sweeper.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  };
}
