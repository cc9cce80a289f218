/**
 * The controller in a cluster: the Kubernetes adapters of every port, the trace store in Redis,
 * the reconciler behind the leader Lease, and the HTTP API. Every replica serves the API (its
 * writes are users' writes: spec and command annotations); only the leader reconciles and
 * sweeps, and every port it acts through is fenced by the Lease, so a replica that lost it acts
 * no more (G5).
 */
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import type { Logger } from "pino";
import type { TraceStore } from "../../trace-manager/store/port.js";
import { startSweeper, type Sweeper } from "../../trace-manager/store/sweeper.js";
import type { RecentEvents } from "../api/dashboard/recent-events.js";
import { createApi } from "../api/server.js";
import { DEFAULT_SETTINGS, type Settings, type ValidationFacts } from "../engine/types.js";
import { IstioRouter } from "../istio/istio-router.js";
import type { RouteTable } from "../istio/route-table.js";
import { ControllerMetrics } from "../metrics.js";
import type { NotifySettings } from "../notify/notify-config.js";
import { startNotifier } from "../notify/start-notifier.js";
import { prometheusDeps } from "../observe/prometheus-deps.js";
import { TraceObserver } from "../observe/trace-observer.js";
import { TraceStoreEnrolment } from "../observe/trace-enrolment.js";
import type {
  Backend,
  EventRecorder,
  Inventory,
  MetricsQuery,
  UpgradeRef,
  UpgradeStore,
  WebhookTokens,
  Workloads,
} from "../ports/index.js";
import { HttpWebhooks } from "../webhooks/http-webhooks.js";
import { notReadyReasons } from "../reconciler/readiness.js";
import { Reconciler } from "../reconciler/reconciler.js";
import { fenced } from "./leadership-fence.js";

/** The Kubernetes adapters, started (their informers synced) by the caller. */
export interface KubeAdapters {
  readonly store: UpgradeStore;
  readonly routeTable: RouteTable;
  readonly workloads: Workloads;
  readonly inventory: Inventory;
  readonly events: EventRecorder;
  /** Reads back the Events that regard an Upgrade, for the dashboard (GET …/recent-events). */
  readonly recentEvents?: RecentEvents;
  readonly validationFacts: (upgrade: UpgradeRef) => Promise<ValidationFacts>;
  /** The webhook gates' bearer tokens (Secrets); without it, a gate that names one is not called. */
  readonly webhookTokens?: WebhookTokens;
  /** Stops the adapters' informers. */
  stop(): Promise<void>;
}

/** The leader Lease, as the controller uses it. */
export interface Leadership {
  isLeader(): boolean;
  /** Calls `onStarted` on gaining the Lease and `onStopped` on losing it (renewal failed or released). */
  run(handlers: { onStarted(): void; onStopped(): void }): void;
  /** Releases the Lease, so a standby takes over at once. */
  release(): Promise<void>;
}

/** Options of {@link startKubeController}. */
export interface KubeControllerOptions {
  readonly adapters: KubeAdapters;
  readonly leadership: Leadership;
  /** The TraceManagers' store (the caller's: it closes it after `stop`). */
  readonly traceStore: TraceStore;
  readonly logger: Logger;
  readonly token: string;
  /** Listen address of the API, metrics and probes (default 127.0.0.1:0). */
  readonly host?: string;
  readonly port?: number;
  /** The names /v1 answers to (default: loopback names; ADR 0088). */
  readonly allowedHosts?: readonly string[];
  /** Status streams open at once (default 256; ADR 0088). */
  readonly maxStreams?: number;
  readonly settings?: Settings;
  readonly intervalMs?: number;
  /** A Prometheus provider given whole (tests); replaces `prometheusAddress`. */
  readonly metricsQuery?: MetricsQuery;
  /** The install's Prometheus (`--prometheus-address`). */
  readonly prometheusAddress?: string;
  /** How long one Prometheus query may take, retries included (`--prometheus-timeout`). */
  readonly prometheusTimeoutMs?: number;
  readonly sweepIntervalMs?: number;
  readonly clock?: () => number;
  /** Where the leader sends notifications (`--notify-*`, docs/notifications.md). */
  readonly notify?: NotifySettings;
  /**
   * Wraps every port the reconciler acts through before the fence; tests use it to cut a
   * replica off as `kill -9` would (with {@link KubeController.halt}).
   */
  readonly interpose?: <T extends object>(port: T) => T;
}

/** A running cluster controller. */
export interface KubeController {
  /** `http://<host>:<port>` of the API. */
  readonly apiUrl: string;
  readonly reconciler: Reconciler;
  readonly metrics: ControllerMetrics;
  /** Whether this replica leads now. */
  isLeader(): boolean;
  /** Graceful stop: the API closes, the reconciler finishes its ticks, the Lease is released, informers stop. */
  stop(): Promise<void>;
  /**
   * Stops ticking and closes the API without waiting and without releasing the Lease: with
   * `interpose`, what a killed process leaves behind (the standby takes over when the Lease expires).
   */
  halt(): void;
}

/** Starts the API at once and the reconciler whenever this replica leads. */
export async function startKubeController(options: KubeControllerOptions): Promise<KubeController> {
  const { adapters, leadership, logger } = options;
  const clock = options.clock ?? Date.now;
  const settings = options.settings ?? DEFAULT_SETTINGS;
  const leading = (): boolean => leadership.isLeader();
  const interpose = options.interpose ?? (<T extends object>(port: T): T => port);
  const fence = <T extends object>(port: T): T => fenced(interpose(port), leading);
  const router = new IstioRouter({
    table: fence(adapters.routeTable),
    enrolmentHeader: settings.enrolmentHeader,
  });
  const observer = new TraceObserver({
    traceStore: options.traceStore,
    workloads: adapters.workloads,
    router,
    inventory: adapters.inventory,
    validationFacts: adapters.validationFacts,
    ...prometheusDeps(options),
  });
  const metrics = new ControllerMetrics();
  const notifier = startNotifier(options.notify, {
    registry: metrics.registry,
    logger,
    store: adapters.store,
    clock,
    active: leading,
  });
  const backend: Backend = {
    router,
    workloads: fence(adapters.workloads),
    observer,
    enrolment: fence(new TraceStoreEnrolment(options.traceStore, clock)),
    // Inside the fence: only the leader's Events are notified.
    events: fence(notifier?.wrap(adapters.events) ?? adapters.events),
    webhooks: fence(
      new HttpWebhooks(adapters.webhookTokens !== undefined ? { tokens: adapters.webhookTokens } : {}),
    ),
  };
  const reconciler = new Reconciler({
    store: fenced(interpose(adapters.store), leading, ["watch", "get", "list"]),
    backend,
    logger: logger.child({ component: "reconciler" }),
    settings,
    metrics,
    clock,
    ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}),
  });
  const app = createApi({
    store: adapters.store,
    token: options.token,
    ...(options.allowedHosts !== undefined ? { allowedHosts: options.allowedHosts } : {}),
    ...(options.maxStreams !== undefined ? { streams: { maxStreams: options.maxStreams } } : {}),
    logger: logger.child({ component: "api" }),
    clock,
    metrics: metrics.registry,
    notReady: () => (leading() ? notReadyReasons(reconciler) : []),
    ...(adapters.recentEvents !== undefined ? { recentEvents: adapters.recentEvents } : {}),
  });
  const listenHost = options.host ?? "127.0.0.1";
  const listenPort = options.port ?? 0;
  const server = await new Promise<Server>((resolve, reject) => {
    // Express 5 hands a listen error (EADDRINUSE, EACCES) to this callback, not to an "error" listener.
    const s = app.listen(listenPort, listenHost, (err?: Error) => {
      if (err === undefined) resolve(s);
      else {
        const code = (err as NodeJS.ErrnoException).code ?? "ELISTEN";
        reject(
          new Error(`${code} ${listenHost}:${listenPort}: the controller API cannot listen there`, {
            cause: err,
          }),
        );
      }
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  let sweeper: Sweeper | undefined;
  let stopping: Promise<void> | undefined;
  leadership.run({
    onStarted: () => {
      logger.info("leading: reconciling upgrades");
      reconciler.start();
      // Expired trace records are reported (an active one means a transaction was lost) and dropped.
      sweeper = startSweeper(options.traceStore, {
        intervalMs: options.sweepIntervalMs ?? 60_000,
        clock,
        onExpiries: (expiries) =>
          logger.warn({ expiries }, "active trace records expired (transactions lost)"),
        onError: (err) => logger.warn({ err }, "trace store sweep failed; retrying on the next tick"),
      });
    },
    onStopped: () => {
      logger.warn("not leading any more: stopped reconciling");
      // The fence already refuses every action; stop ticking without waiting.
      reconciler.halt();
      void sweeper?.stop();
      sweeper = undefined;
    },
  });
  logger.info({ apiUrl: `http://${host}:${port}` }, "controller started");
  return {
    apiUrl: `http://${host}:${port}`,
    reconciler,
    metrics,
    isLeader: leading,
    halt: () => {
      reconciler.halt();
      void notifier?.stop(0);
      void sweeper?.stop();
      server.closeAllConnections();
      server.close();
    },
    stop: () =>
      (stopping ??= (async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await reconciler.stop();
        await notifier?.stop();
        await sweeper?.stop();
        await leadership.release();
        await adapters.stop();
        await adapters.store.close();
      })()),
  };
}
