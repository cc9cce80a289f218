/**
 * What a proxy needs from the control plane, as plain data: a routing decision per request and
 * the endpoints of a host, both taken from ONE snapshot so a stream keeps the view it started
 * with. `control-plane-adapter.ts` binds this to the local control plane and routing evaluator.
 */
import type { InjectedFault } from "../../routing/fault.js";
import type { GatewayProxy } from "../../routing/gateway-binding.js";

/** Header edits of a route or destination (Istio `headers.request`/`headers.response`). */
export interface HeaderEdits {
  readonly set?: Readonly<Record<string, string>>;
  readonly add?: Readonly<Record<string, string>>;
  readonly remove?: readonly string[];
}

/** The request attributes the routing evaluator matches on. Header names are lower-case. */
export interface RouteRequest {
  readonly authority: string;
  readonly path: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  /** `mesh` for sidecars; ignored for a gateway proxy, which binds by `gatewayProxy`. */
  readonly gateway: string;
  /** A gateway proxy: routed through the Gateways that select its labels on its port. */
  readonly gatewayProxy?: GatewayProxy;
}

/** Where a request goes: a subset cluster of a host, or a local reply. */
export type RouteDecision =
  | {
      readonly kind: "forward";
      readonly host: string;
      readonly port: number;
      /** Empty when the destination names no subset (every instance of the host). */
      readonly subset: string;
      /** `outbound|<port>|<subset>|<fqdn>` */
      readonly cluster: string;
      /** Labels an endpoint must carry to belong to the subset (empty: every endpoint). */
      readonly endpointLabels: Readonly<Record<string, string>>;
      readonly requestHeaders: readonly HeaderEdits[];
      readonly responseHeaders: readonly HeaderEdits[];
      readonly routeName?: string;
      readonly timeoutMs?: number;
      /** Retry attempts; Istio's default (2) when absent. */
      readonly retries?: number;
      /** Path after a route rewrite. */
      readonly rewrittenPath?: string;
      /** Authority after a route rewrite. */
      readonly rewrittenAuthority?: string;
      /** The route's fault that fired for this request: the fault filter runs it before forwarding. */
      readonly fault?: InjectedFault;
    }
  | {
      readonly kind: "local-reply";
      readonly status: number;
      /** Envoy response flag: `NR` no route, `NC` no cluster (subset missing), `DR` direct response. */
      readonly flag: "NR" | "NC" | "DR";
      readonly body?: string;
      readonly routeName?: string;
      /** The matched route's fault that fired: it runs before this reply (an abort replaces it). */
      readonly fault?: InjectedFault;
    };

/** One workload endpoint: where its sidecar's inbound listener accepts traffic. */
export interface UpstreamEndpoint {
  /** `127.0.0.1:<port>` */
  readonly address: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly healthy: boolean;
}

/** One snapshot's routing, frozen for the life of a stream. */
export interface RoutingFrame {
  readonly epoch: number;
  decide(req: RouteRequest): RouteDecision;
  /** Endpoints of a host (fqdn or short name) in this snapshot. */
  endpoints(host: string): readonly UpstreamEndpoint[];
}

/** A proxy's view of the control plane. */
export interface ProxyConfigView {
  /** The frame routing uses now (lags the admin view, as Envoy's workers lag its main thread). */
  routing(): RoutingFrame;
}
