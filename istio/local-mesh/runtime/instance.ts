import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Logger } from "pino";
import { makeConfig, type TraceManagerConfig } from "../../../trace-manager/config.js";
import type { EnvoyProtos } from "../../../trace-manager/proto/load.js";
import { startTraceManager, type RunningTraceManager } from "../../../trace-manager/start.js";
import type { TraceStore } from "../../../trace-manager/store/port.js";
import { removeEndpoint, upsertEndpoint } from "../control-plane/endpoints.js";
import { ProxyConfigHolder } from "../control-plane/proxy-config.js";
import type { ConfigStore, DelayRange, PushScheduler } from "../control-plane/types.js";
import { snapshotSourceOf } from "../proxies/holder-source.js";
import { startSidecar, type Sidecar, type TraceManagerHooks } from "../proxies/sidecar.js";
import { launchApp, type AppDeps, type RunningApp } from "./app-launcher.js";
import type { ServiceSpec } from "./topology.js";

/** What the runtime reports about one instance (pod). */
export interface InstanceInfo {
  readonly pod: string;
  readonly service: string;
  readonly version: string;
  /** `127.0.0.1:<port>` of the sidecar inbound listener (the pod's address in the mesh). */
  readonly address: string;
  /** `127.0.0.1:<port>` of the app itself. */
  readonly appAddress: string;
  /** Envoy admin base URL of the sidecar. */
  readonly adminUrl: string;
  /** Whether a TraceManager runs beside the sidecar (injection added one). */
  readonly traceManager: boolean;
  /** The Unix socket the sidecar's ext_authz and ALS dial (nobody answers without a TraceManager). */
  readonly traceManagerSocket: string;
  /** The TraceManager's admin (/metrics, /healthz) port, or null without a TraceManager. */
  readonly traceManagerAdminPort: number | null;
  readonly state: "running" | "stopping";
  /** Epoch ms the app last served an application request (start or end), or null. */
  readonly lastServedAt: number | null;
  /** Application requests in progress. */
  readonly inFlight: number;
}

/** Shared parts every instance uses. */
export interface InstanceDeps extends AppDeps {
  readonly namespace: string;
  readonly socketDir: string;
  readonly configStore: ConfigStore;
  readonly scheduler: PushScheduler;
  readonly traceStore: TraceStore;
  readonly protos: EnvoyProtos;
  readonly logger: Logger;
  readonly hooks: Pick<TraceManagerHooks, "checkTimeoutMs" | "als" | "headersToLog">;
  readonly workerLag?: DelayRange;
  /** TraceManager settings beyond identity and addresses. */
  readonly traceManager?: Partial<TraceManagerConfig>;
  /** The topology's services (short name → ports): they exist even without endpoints. */
  readonly servicePorts: Readonly<Record<string, readonly number[]>>;
  /** Time between endpoint removal and closing the listeners (a preStop sleep), default 0. */
  readonly terminationDrainMs: number;
  /**
   * `instances`: each instance registers its endpoint in the config store itself when it is
   * ready and removes it when it stops. `external`: it never writes its endpoint; something
   * else does (the API server source mirrors EndpointSlices).
   */
  readonly endpoints: EndpointsSource;
}

/** Who writes the instances' endpoints into the config store (see {@link InstanceDeps.endpoints}). */
export type EndpointsSource = "instances" | "external";

/** What one pod carries besides its app and sidecar. */
export interface PodOptions {
  /** Start a TraceManager beside the sidecar (false: the sidecar's hooks fail open, as Envoy's). */
  readonly traceManager: boolean;
}

// Unix socket paths are limited to 108 bytes; a long pod name gets a hashed socket name.
const SOCKET_PATH_MAX = 100;

/** The Unix socket of a pod's TraceManager under `dir`. */
export function podSocketPath(dir: string, pod: string): string {
  const plain = join(dir, `${pod}.sock`);
  if (Buffer.byteLength(plain) <= SOCKET_PATH_MAX) return plain;
  return join(dir, `tm-${createHash("sha256").update(pod).digest("hex").slice(0, 16)}.sock`);
}

/** A running pod: app + sidecar, and its TraceManager when the pod has one. */
export class MeshInstance {
  private stopping = false;

  private constructor(
    readonly pod: string,
    readonly spec: ServiceSpec,
    readonly version: string,
    private readonly app: RunningApp,
    readonly sidecar: Sidecar,
    private readonly tm: RunningTraceManager | undefined,
    private readonly socketPath: string,
    private readonly holder: ProxyConfigHolder,
    private readonly unregister: () => void,
    private readonly deps: InstanceDeps,
  ) {}

  /**
   * Starts a pod: sidecar (hooks wired to the pod's socket), app, TraceManager (when the pod has
   * one), then, with `instances` endpoints, its ready endpoint. Without a TraceManager the
   * sidecar keeps its hooks (the ext_authz and ALS configuration is mesh-wide) and fails open on
   * the socket nobody serves, as Envoy does with `failure_mode_allowed`.
   */
  static async start(
    spec: ServiceSpec,
    version: string,
    pod: string,
    deps: InstanceDeps,
    options: PodOptions = { traceManager: true },
  ): Promise<MeshInstance> {
    const socketPath = podSocketPath(deps.socketDir, pod);
    const holder = new ProxyConfigHolder(deps.workerLag !== undefined ? { workerLag: deps.workerLag } : {});
    const ref: { app?: RunningApp } = {};
    const sidecar = await startSidecar({
      pod,
      namespace: deps.namespace,
      service: spec.name,
      labels: { app: spec.name, version },
      servicePort: spec.port,
      appAddress: () => ref.app?.address ?? "127.0.0.1:0",
      snapshots: snapshotSourceOf(holder),
      hooks: { socketPath, protos: deps.protos, ...deps.hooks },
      logger: deps.logger.child({ component: "sidecar", pod }),
      servicePorts: deps.servicePorts,
    });
    let app: RunningApp | undefined;
    let tm: RunningTraceManager | undefined;
    try {
      app = await launchApp(spec, version, `127.0.0.1:${sidecar.outboundPort}`, deps);
      ref.app = app;
      if (options.traceManager)
        tm = await startTraceManager(
          makeConfig({
            enrolmentHeader: deps.enrolmentHeader,
            ...deps.traceManager,
            role: "sidecar",
            service: spec.name,
            version,
            pod,
            socketPath,
            adminHost: "127.0.0.1",
            adminPort: 0,
            envoyAdminUrl: `http://127.0.0.1:${sidecar.adminPort}`,
          }),
          { store: deps.traceStore, logger: deps.logger.child({ component: "trace-manager", pod }) },
        );
    } catch (cause) {
      await sidecar.close();
      await app?.stop();
      throw new Error(`cannot start ${spec.name}@${version} (pod ${pod})`, { cause });
    }
    // Ready only once the proxy reaches its TraceManager (Envoy warms the ext_authz cluster first).
    if (tm !== undefined) await sidecar.warmUp(2_000);
    const unregister = deps.scheduler.register(pod, holder.deliver);
    if (deps.endpoints === "instances") {
      upsertEndpoint(
        deps.configStore,
        {
          service: spec.name,
          address: `127.0.0.1:${sidecar.inboundPort}`,
          port: spec.port,
          labels: { app: spec.name, version },
          pod,
          ready: true,
        },
        deps.namespace,
      );
    }
    deps.logger.info(
      {
        pod,
        service: spec.name,
        version,
        inbound: sidecar.inboundPort,
        admin: sidecar.adminPort,
        traceManager: tm !== undefined,
      },
      "instance started",
    );
    return new MeshInstance(pod, spec, version, app, sidecar, tm, socketPath, holder, unregister, deps);
  }

  /** The runtime's view of this pod. */
  info(): InstanceInfo {
    return {
      pod: this.pod,
      service: this.spec.name,
      version: this.version,
      address: `127.0.0.1:${this.sidecar.inboundPort}`,
      appAddress: this.app.address,
      adminUrl: `http://127.0.0.1:${this.sidecar.adminPort}`,
      traceManager: this.tm !== undefined,
      traceManagerSocket: this.socketPath,
      traceManagerAdminPort: this.tm?.adminPort ?? null,
      state: this.stopping ? "stopping" : "running",
      lastServedAt: this.app.lastServedAt(),
      inFlight: this.app.inFlight(),
    };
  }

  /**
   * Graceful termination as Kubernetes does it: the endpoint is removed (by the instance with
   * `instances` endpoints; with `external` ones the EndpointSlice controller has marked it not
   * ready already), the `terminationDrainMs` wait lets the proxies learn it after their push
   * delay, then the sidecar sends GOAWAY and lets in-flight requests finish, the app stops, and
   * the TraceManager flushes and stops after the last access logs.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const { deps } = this;
    if (deps.endpoints === "instances") removeEndpoint(deps.configStore, this.pod, deps.namespace);
    if (deps.terminationDrainMs > 0) await new Promise((r) => setTimeout(r, deps.terminationDrainMs));
    await this.sidecar.drain();
    await this.app.stop();
    this.unregister();
    this.holder.close();
    // The TraceManager's last heartbeat reads the sidecar's admin, which closes after it.
    await this.tm?.stop();
    await this.sidecar.close();
    deps.logger.info({ pod: this.pod }, "instance stopped");
  }
}
