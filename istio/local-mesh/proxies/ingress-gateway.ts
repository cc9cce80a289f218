import type { Logger } from "pino";
import { AlsClient } from "./als-client.js";
import { startAdminServer } from "./admin-server.js";
import { frameOf } from "./control-plane-adapter.js";
import { fromHttp1, fromHttp2 } from "./downstream.js";
import { startDualListener } from "./dual-listener.js";
import { ExtAuthzClient, ExtAuthzDefaults } from "./ext-authz-client.js";
import { handleIngress } from "./ingress-chain.js";
import { IstioReporter } from "./istio-reporter.js";
import { DefaultHeadersToLog, ProxyCore } from "./proxy-core.js";
import type { ProxyConfigView } from "./route-port.js";
import type { TraceManagerHooks } from "./sidecar.js";
import type { SnapshotSource } from "./snapshot-source.js";
import { ProxyStats, statPrefix } from "./stats.js";

/** Options of the ingress gateway. */
export interface IngressOptions {
  readonly namespace: string;
  /** The gateway pod's name (default `istio-ingressgateway`). */
  readonly podName?: string;
  /** The gateway pod's labels, which Gateways select (default {@link INGRESS_GATEWAY_LABELS}). */
  readonly labels?: Readonly<Record<string, string>>;
  /** The Gateway server port it serves; names the route configuration `http.<port>`. */
  readonly routePort: number;
  readonly snapshots: SnapshotSource;
  readonly hooks?: TraceManagerHooks;
  /** Services that exist even without endpoints (short name → ports), as Kubernetes Services do. */
  readonly servicePorts?: Readonly<Record<string, readonly number[]>>;
  /** Receives a warning for every request that fails in the proxy (NR, NC, UH, UF, URX, …). */
  readonly logger?: Logger;
  /** Re-match after the check (default true: Tranquil's gateway provider sets `clearRouteCache`). */
  readonly clearRouteCache?: boolean;
  /** Sample new traces (default true). */
  readonly sampled?: boolean;
  /** Replaces routing by the snapshots' evaluator (a routing port stand-in, for proxy tests). */
  readonly routingView?: ProxyConfigView;
  readonly random?: () => number;
  /** Fixed listener port (default: a free one). */
  readonly port?: number;
}

/** The labels of Istio's ingress gateway pods, which a Gateway's `selector` usually names. */
export const INGRESS_GATEWAY_LABELS: Readonly<Record<string, string>> = {
  istio: "ingressgateway",
  app: "istio-ingressgateway",
};

/** A running ingress gateway. */
export interface IngressGateway {
  readonly port: number;
  readonly url: string;
  readonly adminPort: number;
  readonly core: ProxyCore;
  /** Connects the ext_authz channel to the TraceManager (resolves at once without hooks, or after `ms`). */
  warmUp(ms: number): Promise<void>;
  /** Stops the listener (GOAWAY, in-flight finish) and flushes the access logs; the admin endpoint stays up. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the ingress gateway on 127.0.0.1 (HTTP/1.1 and h2c). */
export async function startIngressGateway(o: IngressOptions): Promise<IngressGateway> {
  const pod = o.podName ?? "istio-ingressgateway";
  const nodeId = `router~127.0.0.1~${pod}.${o.namespace}~${o.namespace}.svc.cluster.local`;
  const stats = new ProxyStats();
  const hooks = o.hooks;
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
          node: { id: nodeId, cluster: `istio-ingressgateway.${o.namespace}` },
          logName: "envoy-als",
          ...hooks.als,
        });
  const gateway = { labels: o.labels ?? INGRESS_GATEWAY_LABELS, port: o.routePort };
  // Istio names the gateway's workload after its Deployment, `istio-ingressgateway`.
  const istio = new IstioReporter(nodeId, {
    workload: "istio-ingressgateway",
    namespace: o.namespace,
    labels: gateway.labels,
  });
  const core = new ProxyCore(
    nodeId,
    stats,
    authz,
    als,
    hooks?.headersToLog ?? DefaultHeadersToLog,
    o.logger,
    istio,
  );
  const config: ProxyConfigView = o.routingView ?? {
    routing: () => frameOf(o.snapshots.routing(), o.namespace, o.random, undefined, o.servicePorts),
  };
  let settings = {
    gateway,
    statPrefix: "",
    listenerPort: 0,
    clearRouteCache: o.clearRouteCache ?? true,
    sampled: o.sampled ?? true,
  };
  const listener = await startDualListener(
    {
      onHttp1: (req, res) => void handleIngress(fromHttp1(req, res), core, config, settings),
      onHttp2: (stream, headers) => void handleIngress(fromHttp2(stream, headers), core, config, settings),
    },
    o.port ?? 0,
  );
  settings = { ...settings, statPrefix: statPrefix("outbound", listener.port), listenerPort: listener.port };
  authz?.declareScope({ statPrefix: settings.statPrefix });
  const admin = await startAdminServer({
    identity: { role: "gateway", namespace: o.namespace, ...gateway },
    stats,
    istioMetrics: istio.metrics,
    adminSnapshot: () => o.snapshots.admin(),
    staticClusters: () => [],
    ...(o.servicePorts !== undefined ? { servicePorts: o.servicePorts } : {}),
  });
  let draining: Promise<void> | undefined;
  const drain = (): Promise<void> =>
    (draining ??= (async () => {
      await listener.close();
      await core.close();
    })());
  return {
    port: listener.port,
    url: `http://127.0.0.1:${listener.port}`,
    adminPort: admin.port,
    core,
    warmUp: async (ms) => {
      await authz?.warmUp(ms);
    },
    drain: () => drain(),
    close: async () => {
      await drain();
      await admin.close();
    },
  };
}
