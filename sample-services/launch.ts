import { pino, type Logger } from "pino";
import { Activity } from "./activity.js";
import { startAdminServer, type AdminServer } from "./admin-server.js";
import { startLogisticsApi } from "./api/logistics-api.js";
import { behaviourOf, type Behaviour } from "./domain/behaviour-version.js";
import { DEFAULT_SECRET } from "./domain/keys.js";
import { startGrpcService, type Faults, type UnaryHandler } from "./grpc/server-kit.js";
import { UpstreamPool } from "./grpc/upstreams.js";
import { createServiceMetrics } from "./metrics.js";
import { SERVICE_PROTOCOLS, type GrpcServiceName, type ServiceName } from "./names.js";
import { DEFAULT_ENROLMENT_HEADER } from "./propagation.js";
import { authHandlers } from "./services/auth-service.js";
import { itemHandlers } from "./services/item-service.js";
import { orderHandlers } from "./services/order-service.js";
import { stationHandlers } from "./services/station-service.js";
import type { SampleStore } from "./store/sample-store.js";

export type { ServiceName } from "./names.js";

/** How to start one instance of a sample service. */
export interface ServiceLaunchOptions {
  readonly name: ServiceName;
  /** Release version, e.g. `v1`; reported in servedBy and the metrics' `version` label. */
  readonly version: string;
  /** Listen host (default 127.0.0.1). */
  readonly host?: string;
  /** Listen port (default 0: a free port). */
  readonly port?: number;
  /** The shared store; the caller owns it (stop() does not close it). */
  readonly store: SampleStore;
  /** `"host:port"` this instance dials for each upstream: a direct address or a sidecar's outbound listener. */
  readonly upstreams: Partial<Record<ServiceName, string>>;
  /** Deliberate misbehaviour, for a bad release. */
  readonly faults?: Faults;
  /** The process logger; a child with service and version is used (default: a new pino logger). */
  readonly logger?: Logger;
  /** Enrolment header to propagate (default `x-tranquil-release`). */
  readonly enrolmentHeader?: string;
  /** v1 or v2 rules (default from the version: `v2…` → v2, else v1). */
  readonly behaviour?: Behaviour;
  /** Shared secret of auth-service's keys (default: the sample secret); all versions must share it. */
  readonly secret?: string;
  /**
   * Test seam: per-method upstream overrides keyed `"<service>/<Method>"`, e.g.
   * `{ "auth-service/VerifyChallenge": "127.0.0.1:7002" }`, to send one call of a transaction
   * to another instance than the rest.
   */
  readonly methodUpstreams?: Readonly<Record<string, string>>;
  /** Start the admin HTTP surface (/metrics, /healthz) of a gRPC service on this port (0 = free). logistics-api serves both on its own port. */
  readonly adminPort?: number;
  /** How long stop() waits for in-flight requests (default 30 s). */
  readonly drainTimeoutMs?: number;
  /** Randomness for fault injection (default Math.random). */
  readonly random?: () => number;
}

/** A running instance. */
export interface RunningService {
  readonly name: ServiceName;
  readonly version: string;
  /** `"127.0.0.1:port"` of the application port. */
  readonly address: string;
  readonly protocol: "http" | "grpc";
  /** `"host:port"` of /metrics and /healthz: the app port for logistics-api, the admin port (or null) for gRPC services. */
  readonly adminAddress: string | null;
  /** Epoch ms of the last application request start or end (health checks and scrapes excluded), or null. */
  lastServedAt(): number | null;
  /** Application requests in progress. */
  inFlight(): number;
  /** Prometheus text of this instance's own Registry. */
  metrics(): Promise<string>;
  /** Graceful: reports NOT_SERVING, stops accepting, lets in-flight requests finish, closes. */
  stop(): Promise<void>;
}

let defaultLogger: Logger | undefined;

/** One pino logger per process for launches that bring none. */
function processLogger(): Logger {
  defaultLogger ??= pino({ name: "sample-services" });
  return defaultLogger;
}

function handlersFor(
  name: GrpcServiceName,
  opts: ServiceLaunchOptions,
  behaviour: Behaviour,
): Record<string, UnaryHandler> {
  switch (name) {
    case "auth-service":
      return authHandlers({
        version: opts.version,
        behaviour,
        store: opts.store,
        secret: opts.secret ?? DEFAULT_SECRET,
      });
    case "order-service":
      return orderHandlers({ version: opts.version, behaviour, store: opts.store });
    case "item-service":
      return itemHandlers({ store: opts.store });
    case "station-service":
      return stationHandlers({ store: opts.store, version: opts.version });
  }
}

/**
 * Starts any of the five sample services in this process: the one entry point used by the
 * local mesh runtime, the demo, the tests and `main.ts`.
 */
export async function launchService(opts: ServiceLaunchOptions): Promise<RunningService> {
  const host = opts.host ?? "127.0.0.1";
  const port = opts.port ?? 0;
  const logger = (opts.logger ?? processLogger()).child({
    service: opts.name,
    version: opts.version,
  });
  const activity = new Activity();
  const metrics = createServiceMetrics(opts.name, opts.version, activity);
  const upstreams = new UpstreamPool({
    upstreams: opts.upstreams,
    ...(opts.methodUpstreams ? { methodUpstreams: opts.methodUpstreams } : {}),
  });
  const enrolmentHeader = (opts.enrolmentHeader ?? DEFAULT_ENROLMENT_HEADER).toLowerCase();
  const common = {
    version: opts.version,
    host,
    port,
    upstreams,
    logger,
    metrics,
    activity,
    enrolmentHeader,
    ...(opts.faults ? { faults: opts.faults } : {}),
    ...(opts.random ? { random: opts.random } : {}),
    ...(opts.drainTimeoutMs !== undefined ? { drainTimeoutMs: opts.drainTimeoutMs } : {}),
  };

  let address: string;
  let adminAddress: string | null = null;
  let stopApp: () => Promise<void>;
  let admin: AdminServer | undefined;
  if (opts.name === "logistics-api") {
    const api = await startLogisticsApi(common);
    address = api.address;
    adminAddress = api.address;
    stopApp = () => api.stop();
  } else {
    const behaviour = opts.behaviour ?? behaviourOf(opts.version);
    const svc = await startGrpcService({
      ...common,
      name: opts.name,
      handlers: handlersFor(opts.name, opts, behaviour),
    });
    address = svc.address;
    stopApp = () => svc.stop();
    let serving = true;
    if (opts.adminPort !== undefined) {
      admin = await startAdminServer({
        host,
        port: opts.adminPort,
        service: opts.name,
        version: opts.version,
        metrics,
        activity,
        isServing: () => serving,
      });
      adminAddress = admin.address;
    }
    const stopGrpc = stopApp;
    stopApp = async () => {
      serving = false;
      await stopGrpc();
    };
  }

  let stopped: Promise<void> | undefined;
  return {
    name: opts.name,
    version: opts.version,
    address,
    protocol: SERVICE_PROTOCOLS[opts.name],
    adminAddress,
    lastServedAt: () => activity.lastServedAt(),
    inFlight: () => activity.inFlight(),
    metrics: () => metrics.registry.metrics(),
    stop: () => {
      stopped ??= (async () => {
        await stopApp();
        await admin?.close();
      })();
      return stopped;
    },
  };
}
