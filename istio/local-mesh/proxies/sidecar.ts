import type { Logger } from "pino";
import type { EnvoyProtos } from "../../../trace-manager/proto/load.js";
import { AlsClient, type AlsOptions } from "./als-client.js";
import { startAdminServer, type AdminServer } from "./admin-server.js";
import { frameOf } from "./control-plane-adapter.js";
import { fromHttp1, fromHttp2 } from "./downstream.js";
import { startDualListener, type DualListener } from "./dual-listener.js";
import { ExtAuthzClient, ExtAuthzDefaults } from "./ext-authz-client.js";
import { handleInbound, inboundCluster } from "./inbound-chain.js";
import { IstioReporter, workloadOf } from "./istio-reporter.js";
import { handleOutbound } from "./outbound-chain.js";
import { DefaultHeadersToLog, ProxyCore } from "./proxy-core.js";
import type { ProxyConfigView } from "./route-port.js";
import type { SnapshotSource } from "./snapshot-source.js";
import { ProxyStats, statPrefix } from "./stats.js";

/** The TraceManager a proxy's hooks talk to, and how. */
export interface TraceManagerHooks {
  readonly socketPath: string;
  readonly protos: EnvoyProtos;
  /** ext_authz timeout (default 50 ms); a slower or absent TraceManager fails open. */
  readonly checkTimeoutMs?: number;
  readonly als?: Partial<Pick<AlsOptions, "workers" | "flushIntervalMs" | "flushBytes">>;
  /** `additionalRequestHeadersToLog` (default x-request-id, x-tranquil-release, x-b3-traceid). */
  readonly headersToLog?: readonly string[];
}

/** Options of one sidecar. */
export interface SidecarOptions {
  readonly pod: string;
  readonly namespace: string;
  readonly service: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The workload (Deployment) name in Istio's metrics (default `<app>-<version>` of the labels). */
  readonly workload?: string;
  /** The service port (cluster names `inbound|<port>||`, `outbound|<port>|…`). */
  readonly servicePort: number;
  /** `127.0.0.1:<port>` where the app listens; a function when the app starts after its sidecar. */
  readonly appAddress: string | (() => string);
  readonly snapshots: SnapshotSource;
  /** Without hooks the sidecar neither checks nor logs (a mesh without Tranquil). */
  readonly hooks?: TraceManagerHooks;
  /** Services that exist even without endpoints (short name → ports), as Kubernetes Services do. */
  readonly servicePorts?: Readonly<Record<string, readonly number[]>>;
  /** Receives a warning for every request that fails in the proxy (NR, NC, UH, UF, URX, …). */
  readonly logger?: Logger;
  /** Replaces routing by the snapshots' evaluator (a routing port stand-in, for proxy tests). */
  readonly routingView?: ProxyConfigView;
  /** Weighted choice source (tests inject a fixed one). */
  readonly random?: () => number;
}

/** A running sidecar. */
export interface Sidecar {
  readonly pod: string;
  readonly inboundPort: number;
  readonly outboundPort: number;
  readonly adminPort: number;
  readonly core: ProxyCore;
  /** Connects the ext_authz channel to the TraceManager (resolves at once without hooks, or after `ms`). */
  warmUp(ms: number): Promise<void>;
  /** Inbound requests in flight, and when the last one finished (epoch ms, 0 = never). */
  inFlight(): number;
  lastServedAt(): number;
  /**
   * Drains the listeners like `close()` and flushes the access logs, but keeps the admin endpoint
   * up (Envoy's admin answers until the process exits; the TraceManager's last heartbeat reads it).
   */
  drain(): Promise<void>;
  /**
   * Graceful stop: GOAWAY / connection close on the inbound listener, in-flight streams finish
   * (their outbound calls still work), then the outbound listener, then logs flush.
   */
  close(): Promise<void>;
}

/** Starts a sidecar: inbound listener (in front of the app), outbound listener, admin. */
export async function startSidecar(o: SidecarOptions): Promise<Sidecar> {
  const nodeId = `sidecar~127.0.0.1~${o.pod}.${o.namespace}~${o.namespace}.svc.cluster.local`;
  const hooks = o.hooks;
  const stats = new ProxyStats();
  const authz =
    hooks === undefined
      ? undefined
      : new ExtAuthzClient(
          hooks.protos,
          hooks.socketPath,
          stats,
          hooks.checkTimeoutMs ?? ExtAuthzDefaults.timeoutMs,
        );
  const als =
    hooks === undefined
      ? undefined
      : new AlsClient(hooks.protos, hooks.socketPath, stats, {
          node: { id: nodeId, cluster: `${o.service}.${o.namespace}` },
          logName: "envoy-als",
          ...hooks.als,
        });
  const wired = new ProxyCore(
    nodeId,
    stats,
    authz,
    als,
    hooks?.headersToLog ?? DefaultHeadersToLog,
    o.logger,
    new IstioReporter(
      nodeId,
      { workload: o.workload ?? workloadOf(o.labels), namespace: o.namespace, labels: o.labels },
      `${o.service}.${o.namespace}.svc.cluster.local`,
    ),
  );
  const config: ProxyConfigView = o.routingView ?? {
    routing: () => frameOf(o.snapshots.routing(), o.namespace, o.random, o.labels, o.servicePorts),
  };
  const cluster = inboundCluster(o.servicePort);
  let inFlight = 0;
  let lastServedAt = 0;
  const track = (p: Promise<void>): void => {
    inFlight++;
    void p.finally(() => {
      inFlight--;
      lastServedAt = Date.now();
    });
  };
  let inboundPrefix = "";
  const appAddress = (): string => (typeof o.appAddress === "string" ? o.appAddress : o.appAddress());
  const inboundTarget = (listenerPort: number) => ({
    cluster,
    app: { address: appAddress(), labels: {}, healthy: true },
    listenerPort,
    statPrefix: inboundPrefix,
  });
  let inboundPort = 0;
  const inbound = await startDualListener({
    onHttp1: (req, res) => track(handleInbound(fromHttp1(req, res), wired, inboundTarget(inboundPort))),
    onHttp2: (stream, headers) =>
      track(handleInbound(fromHttp2(stream, headers), wired, inboundTarget(inboundPort))),
  });
  inboundPort = inbound.port;
  inboundPrefix = statPrefix("inbound", o.servicePort);
  let outboundPrefix = "";
  const outbound: DualListener = await startDualListener({
    onHttp1: (req, res) => void handleOutbound(fromHttp1(req, res), wired, config, outboundPrefix),
    onHttp2: (stream, headers) =>
      void handleOutbound(fromHttp2(stream, headers), wired, config, outboundPrefix),
  });
  outboundPrefix = statPrefix("outbound", outbound.port);
  authz?.declareScope({ statPrefix: inboundPrefix, cluster });
  wired.stats.gaugeAdd(`http.${inboundPrefix}.downstream_rq_active`, 0);
  const admin: AdminServer = await startAdminServer({
    identity: { role: "sidecar", namespace: o.namespace },
    stats: wired.stats,
    ...(wired.istio !== undefined ? { istioMetrics: wired.istio.metrics } : {}),
    adminSnapshot: () => o.snapshots.admin(),
    staticClusters: () => [{ name: cluster, address: appAddress() }],
    ...(o.servicePorts !== undefined ? { servicePorts: o.servicePorts } : {}),
  });
  let draining: Promise<void> | undefined;
  const drain = (): Promise<void> =>
    (draining ??= (async () => {
      // Inbound first: requests in flight still make outbound calls until they finish.
      await inbound.close();
      await outbound.close();
      // Flushes the access logs and closes the TraceManager channels.
      await wired.close();
    })());
  return {
    pod: o.pod,
    inboundPort: inbound.port,
    outboundPort: outbound.port,
    adminPort: admin.port,
    core: wired,
    warmUp: async (ms) => {
      await authz?.warmUp(ms);
    },
    inFlight: () => inFlight,
    lastServedAt: () => lastServedAt,
    drain: () => drain(),
    close: async () => {
      await drain();
      await admin.close();
    },
  };
}
