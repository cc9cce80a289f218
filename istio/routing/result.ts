import type { DestinationRule, Gateway, HTTPRetry, ServiceEntry, VirtualService } from "../api/types.js";
import type { InjectedFault } from "./fault.js";
import type { GatewayProxy } from "./gateway-binding.js";

export type { InjectedFault } from "./fault.js";

/** The configuration one proxy routes by. A MeshSnapshot is assignable to it. */
export interface RoutingSnapshot {
  readonly virtualServices: readonly VirtualService[];
  readonly destinationRules: readonly DestinationRule[];
  /** Gateways; a request with `gatewayProxy` is routed only through those that configure it. */
  readonly gateways?: readonly Gateway[];
  /** Namespace of the calling proxy, used to qualify short host names (default `default`). */
  readonly namespace?: string;
  /**
   * Services that exist (Kubernetes Services), by short name, in `namespace`. A service also
   * counts as existing when it has an endpoint. A host that is neither, and that no
   * VirtualService binds, gets 404 `NR`; a destination to it gets 503 `NC`.
   */
  readonly services?: readonly string[];
  /**
   * ServiceEntries: their hosts (exact names, visible to the proxy's namespace by `exportTo`)
   * exist with their ports, as Istio adds them to the service registry.
   */
  readonly serviceEntries?: readonly ServiceEntry[];
  /** Ports of existing services (short name → ports), e.g. a MeshSnapshot's. */
  readonly servicePorts?: Readonly<Record<string, readonly number[]>>;
  /** Endpoints (a MeshSnapshot's); used for the services that exist and their port. */
  readonly endpoints?: readonly { readonly service: string; readonly port: number }[];
}

/** One request as the proxy sees it, before routing. */
export interface RouteRequest {
  /** `:authority` / Host, possibly with a port (`reviews:9080`). */
  readonly authority: string;
  readonly method: string;
  /** Path including any query string. */
  readonly path: string;
  /** Request headers with lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * `mesh` for a sidecar, `<ns>/<gateway-name>` for a proxy already bound to that Gateway.
   * Ignored when `gatewayProxy` is set.
   */
  readonly gateway: string;
  /** A gateway proxy: its routes come from the snapshot's Gateways that select it (see gateway-binding.ts). */
  readonly gatewayProxy?: GatewayProxy;
  /** Destination port the request was sent to (for match.port and cluster names). */
  readonly port?: number;
  /** Labels of the calling workload (for match.sourceLabels). */
  readonly sourceLabels?: Readonly<Record<string, string>>;
  /** Namespace of the calling workload (for match.sourceNamespace). */
  readonly sourceNamespace?: string;
}

/** Header changes to apply: set overwrites, add appends, remove deletes. */
export interface HeaderMutation {
  set: Record<string, string>;
  add: Record<string, string>;
  remove: string[];
}

/** The request is forwarded to a cluster. */
export interface ForwardResult {
  readonly kind: "forward";
  /** Envoy route name: the route's `name`, or `<route>.<match>` when the matched block is named. */
  readonly routeName: string;
  /** `<namespace>/<name>` of the VirtualService that matched; absent for the default route. */
  readonly vs?: string;
  /** Short service name of the chosen destination. */
  readonly host: string;
  readonly subset?: string;
  readonly port?: number;
  /** Envoy cluster name `outbound|<port>|<subset>|<fqdn>`. */
  readonly cluster: string;
  /** The subset's labels; `{}` means every instance of the host. */
  readonly endpointLabels: Readonly<Record<string, string>>;
  readonly requestHeaders: HeaderMutation;
  readonly responseHeaders: HeaderMutation;
  /** The route's retry policy as written; absent means Istio's default policy applies. */
  readonly retries?: HTTPRetry;
  readonly timeoutMs?: number;
  /** Path after `rewrite.uri` / `uriRegexRewrite`, when the route rewrites it. */
  readonly rewrittenPath?: string;
  /**
   * Authority sent upstream: `rewrite.authority`, else the route's `:authority`/`host` header
   * set, else the chosen destination's.
   */
  readonly rewrittenAuthority?: string;
  /** The route's fault that fired for this request (delay, abort, or both); absent when none did. */
  readonly fault?: InjectedFault;
}

/** The proxy answers by itself. */
export interface LocalReplyResult {
  readonly kind: "local-reply";
  readonly status: number;
  /** `NR` no route, `NC` no cluster (missing subset), `DR` direct response or redirect. */
  readonly flag: "NR" | "NC" | "DR";
  readonly body?: string;
  readonly routeName?: string;
  /** `Location` of a redirect. */
  readonly location?: string;
  /** Response header changes of the matched route (direct responses). */
  readonly responseHeaders?: HeaderMutation;
  /** The matched route's fault that fired: it runs before this reply (an abort replaces it). */
  readonly fault?: InjectedFault;
}

/** Outcome of routing one request. */
export type RoutingResult = ForwardResult | LocalReplyResult;
