/**
 * Istio `networking.istio.io/v1` VirtualService and DestinationRule types.
 *
 * Written from Istio's own CRD schema (`shared/istio/crd-all.gen.yaml`, version v1) with
 * Istio's exact field names. No maintained npm package fits: `@kubernetes-models/istio`
 * (the only one in the registry) requires Node >= 22 and pulls a runtime validator we do not
 * want (see docs/adr/0020-istio-types-from-crd.md). Fields Tranquil never reads are still
 * typed, so that a deep copy of a user route (a clone route) keeps all of them.
 */

/** Kubernetes object metadata, the subset the local control plane and the engine use. */
export interface ObjectMeta {
  name: string;
  namespace: string;
  /** Opaque version string set by the store; required on update for optimistic concurrency. */
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
  generation?: number;
  creationTimestamp?: string;
}

/** `{ exact }`: the whole value equals the string (case-sensitive). */
export interface ExactMatch {
  exact: string;
}
/** `{ prefix }`: the value starts with the string. */
export interface PrefixMatch {
  prefix: string;
}
/** `{ regex }`: RE2 full match of the whole value (Envoy safe_regex). */
export interface RegexMatch {
  regex: string;
}
/** `{}`: presence only (headers / withoutHeaders); Istio treats an empty match as "is present". */
export type PresenceMatch = Record<string, never>;

/** Istio StringMatch: exactly one of exact, prefix, regex, or none (presence). */
export type StringMatch = ExactMatch | PrefixMatch | RegexMatch | PresenceMatch;

/** Port selector of a destination. */
export interface PortSelector {
  number?: number;
}

/** A service (and optional subset and port) that requests are forwarded to. */
export interface Destination {
  /** Short name (`reviews`), FQDN (`reviews.default.svc.cluster.local`) or ServiceEntry host. */
  host: string;
  subset?: string;
  port?: PortSelector;
}

/** Header operations: set (overwrite), add (append), remove. */
export interface HeaderOperations {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: string[];
}

/** Request and response header manipulation rules. */
export interface Headers {
  request?: HeaderOperations;
  response?: HeaderOperations;
}

/** One weighted destination of an HTTP route. */
export interface HTTPRouteDestination {
  destination: Destination;
  /** Relative share; omitted means 0 when several destinations are listed, 100 when one. */
  weight?: number;
  headers?: Headers;
}

/** Match conditions of one block: all set conditions must hold (AND). */
export interface HTTPMatchRequest {
  name?: string;
  uri?: StringMatch;
  scheme?: StringMatch;
  method?: StringMatch;
  authority?: StringMatch;
  /** Keys are header names (matched case-insensitively). */
  headers?: Record<string, StringMatch>;
  port?: number;
  sourceLabels?: Record<string, string>;
  /** Overrides the VirtualService-level `gateways` for this block. */
  gateways?: string[];
  queryParams?: Record<string, StringMatch>;
  ignoreUriCase?: boolean;
  withoutHeaders?: Record<string, StringMatch>;
  sourceNamespace?: string;
  statPrefix?: string;
}

/** HTTP redirect (a local reply with a Location header). */
export interface HTTPRedirect {
  uri?: string;
  authority?: string;
  port?: number;
  derivePort?: "FROM_PROTOCOL_DEFAULT" | "FROM_REQUEST_PORT";
  scheme?: string;
  redirectCode?: number;
  prefixRewrite?: string;
}

/** Body of a direct response: a string or base64 bytes. */
export type HTTPBody = { string: string } | { bytes: string };

/** A fixed response sent by the proxy itself. */
export interface HTTPDirectResponse {
  status: number;
  body?: HTTPBody;
}

/** Regex rewrite of the path. */
export interface RegexRewrite {
  match?: string;
  rewrite?: string;
}

/** Rewrite of the path and authority before forwarding. */
export interface HTTPRewrite {
  uri?: string;
  authority?: string;
  uriRegexRewrite?: RegexRewrite;
}

/** Retry policy (durations as protobuf duration strings such as `2s`, `250ms`). */
export interface HTTPRetry {
  attempts?: number;
  perTryTimeout?: string;
  retryOn?: string;
  retryRemoteLocalities?: boolean;
  retryIgnorePreviousHosts?: boolean;
  backoff?: string;
}

/** Percentage in [0, 100]. */
export interface Percent {
  value?: number;
}

/** Fault injection: delays and aborts. */
export interface HTTPFaultInjection {
  delay?: {
    fixedDelay?: string;
    exponentialDelay?: string;
    percentage?: Percent;
    percent?: number;
  };
  abort?: {
    httpStatus?: number;
    grpcStatus?: string;
    http2Error?: string;
    percentage?: Percent;
  };
}

/** CORS policy (passed through; not evaluated by the local mesh). */
export interface CorsPolicy {
  allowOrigin?: string[];
  allowOrigins?: StringMatch[];
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  maxAge?: string;
  allowCredentials?: boolean;
  unmatchedPreflights?: "UNSPECIFIED" | "FORWARD" | "IGNORE";
}

/** Delegate VirtualService reference. */
export interface Delegate {
  name?: string;
  namespace?: string;
}

/** Mirror destination with its percentage. */
export interface HTTPMirrorPolicy {
  destination: Destination;
  percentage?: Percent;
}

/** One HTTP route: match blocks (ORed) and what to do on a match. */
export interface HTTPRoute {
  name?: string;
  match?: HTTPMatchRequest[];
  route?: HTTPRouteDestination[];
  redirect?: HTTPRedirect;
  directResponse?: HTTPDirectResponse;
  delegate?: Delegate;
  rewrite?: HTTPRewrite;
  timeout?: string;
  retries?: HTTPRetry;
  fault?: HTTPFaultInjection;
  mirror?: Destination;
  mirrors?: HTTPMirrorPolicy[];
  mirrorPercentage?: Percent;
  mirrorPercent?: number;
  corsPolicy?: CorsPolicy;
  headers?: Headers;
}

/** L4 match attributes for TCP routes. */
export interface L4MatchAttributes {
  destinationSubnets?: string[];
  port?: number;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  sourceNamespace?: string;
  sourceSubnet?: string;
}

/** Weighted L4 destination. */
export interface RouteDestination {
  destination: Destination;
  weight?: number;
}

/** TCP route (typed for completeness; the local mesh routes HTTP only). */
export interface TCPRoute {
  match?: L4MatchAttributes[];
  route?: RouteDestination[];
}

/** TLS match attributes (SNI). */
export interface TLSMatchAttributes {
  sniHosts: string[];
  destinationSubnets?: string[];
  port?: number;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  sourceNamespace?: string;
}

/** TLS passthrough route (typed for completeness). */
export interface TLSRoute {
  match: TLSMatchAttributes[];
  route?: RouteDestination[];
}

/** VirtualService spec. */
export interface VirtualServiceSpec {
  hosts?: string[];
  /** `mesh` (all sidecars) and/or `<ns>/<gateway>`; omitted means `mesh` only. */
  gateways?: string[];
  http?: HTTPRoute[];
  tls?: TLSRoute[];
  tcp?: TCPRoute[];
  exportTo?: string[];
}

/** `networking.istio.io/v1` VirtualService. */
export interface VirtualService {
  apiVersion: "networking.istio.io/v1";
  kind: "VirtualService";
  metadata: ObjectMeta;
  spec: VirtualServiceSpec;
}

/**
 * Traffic policy of a DestinationRule or subset. Typed loosely below the first level: the
 * local mesh does not evaluate connection pools, outlier detection or TLS, but keeps them.
 */
export interface TrafficPolicy {
  loadBalancer?: Record<string, unknown>;
  connectionPool?: Record<string, unknown>;
  outlierDetection?: Record<string, unknown>;
  tls?: Record<string, unknown>;
  portLevelSettings?: Record<string, unknown>[];
  tunnel?: Record<string, unknown>;
  proxyProtocol?: Record<string, unknown>;
  retryBudget?: Record<string, unknown>;
}

/** A named set of endpoints of the host, selected by pod labels. */
export interface Subset {
  name: string;
  labels?: Record<string, string>;
  trafficPolicy?: TrafficPolicy;
}

/** DestinationRule spec. */
export interface DestinationRuleSpec {
  host: string;
  trafficPolicy?: TrafficPolicy;
  subsets?: Subset[];
  exportTo?: string[];
  workloadSelector?: { matchLabels?: Record<string, string> };
}

/** `networking.istio.io/v1` DestinationRule. */
export interface DestinationRule {
  apiVersion: "networking.istio.io/v1";
  kind: "DestinationRule";
  metadata: ObjectMeta;
  spec: DestinationRuleSpec;
}

/** A port a Gateway server listens on (Istio `Port`). */
export interface GatewayPort {
  number: number;
  protocol: string;
  name: string;
  targetPort?: number;
}

/** One server of a Gateway: a port and the hosts exposed on it (`[<namespace>/]<dns name>`). */
export interface GatewayServer {
  port: GatewayPort;
  hosts: string[];
  bind?: string;
  name?: string;
  /** TLS settings; the local mesh serves plain HTTP and keeps them untouched. */
  tls?: Record<string, unknown>;
}

/** Gateway spec: which gateway workloads (by labels) serve which servers. */
export interface GatewaySpec {
  selector?: Record<string, string>;
  servers?: GatewayServer[];
}

/** `networking.istio.io/v1` Gateway. */
export interface Gateway {
  apiVersion: "networking.istio.io/v1";
  kind: "Gateway";
  metadata: ObjectMeta;
  spec: GatewaySpec;
}

/** A port of a ServiceEntry. */
export interface ServicePort {
  number: number;
  name: string;
  protocol?: string;
  targetPort?: number;
}

/** ServiceEntry spec: hosts added to the mesh's service registry. */
export interface ServiceEntrySpec {
  hosts: string[];
  addresses?: string[];
  ports?: ServicePort[];
  location?: "MESH_EXTERNAL" | "MESH_INTERNAL";
  resolution?: "NONE" | "STATIC" | "DNS" | "DNS_ROUND_ROBIN" | "DYNAMIC_DNS";
  endpoints?: Record<string, unknown>[];
  workloadSelector?: { labels?: Record<string, string> };
  exportTo?: string[];
  subjectAltNames?: string[];
}

/** `networking.istio.io/v1` ServiceEntry. */
export interface ServiceEntry {
  apiVersion: "networking.istio.io/v1";
  kind: "ServiceEntry";
  metadata: ObjectMeta;
  spec: ServiceEntrySpec;
}

/** Every `networking.istio.io/v1` kind of this module. */
export type IstioObject = VirtualService | DestinationRule | Gateway | ServiceEntry;

/** The API version every object of this module carries. */
export const ISTIO_NETWORKING_V1 = "networking.istio.io/v1" as const;
