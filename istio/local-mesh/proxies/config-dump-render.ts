import type { MeshSnapshot } from "../control-plane/types.js";
import { translateFault, type FractionalPercent } from "../../routing/fault.js";
import { admitsNamespace, gatewayBindings } from "../../routing/gateway-binding.js";
import { mutationFromOperations } from "../../routing/header-mutation.js";
import { CLUSTER_SUFFIX, hostMatchRank, resolveShortname, shortName } from "../../routing/hosts.js";
import { boundGateways } from "../../routing/select-virtual-services.js";
import type {
  DestinationRule,
  HTTPFaultInjection,
  HTTPMatchRequest,
  HTTPRoute,
  StringMatch,
  VirtualService,
} from "../../api/types.js";

/** What a proxy is, for rendering its route configurations as istiod would. */
export type ProxyIdentity =
  | { readonly role: "sidecar"; readonly namespace: string }
  | {
      readonly role: "gateway";
      readonly namespace: string;
      /** The gateway pod's labels, which Gateways select. */
      readonly labels: Readonly<Record<string, string>>;
      /** The Gateway server port the proxy serves. */
      readonly port: number;
    };

type Json = Record<string, unknown>;

const DEFAULT_ROUTE_NAME = "default";

function configPath(vs: VirtualService): string {
  return `/apis/networking.istio.io/v1/namespaces/${vs.metadata.namespace}/virtual-service/${vs.metadata.name}`;
}

function stringMatch(m: StringMatch, ignoreCase = false): Json | undefined {
  if ("exact" in m) return { exact: m.exact, ...(ignoreCase ? { ignore_case: true } : {}) };
  if ("prefix" in m) return { prefix: m.prefix, ...(ignoreCase ? { ignore_case: true } : {}) };
  if ("regex" in m) return { safe_regex: { regex: m.regex } };
  return undefined;
}

function headerMatcher(name: string, m: StringMatch, invert: boolean): Json {
  const sm = stringMatch(m);
  return {
    name: name.toLowerCase(),
    ...(sm !== undefined ? { string_match: sm } : { present_match: true }),
    ...(invert ? { invert_match: true } : {}),
  };
}

/** Envoy `RouteMatch` of an Istio match block (istio `TranslateRouteMatch`). */
function routeMatch(m: HTTPMatchRequest | undefined): Json {
  const out: Json = {};
  const uri = m?.uri;
  if (uri !== undefined && "exact" in uri) out.path = uri.exact;
  else if (uri !== undefined && "prefix" in uri) out.prefix = uri.prefix;
  else if (uri !== undefined && "regex" in uri) out.safe_regex = { regex: uri.regex };
  else out.prefix = "/";
  if (m?.ignoreUriCase === true) out.case_sensitive = false;
  const headers: Json[] = [];
  for (const [name, sm] of Object.entries(m?.headers ?? {})) headers.push(headerMatcher(name, sm, false));
  for (const [name, sm] of Object.entries(m?.withoutHeaders ?? {}))
    headers.push(headerMatcher(name, sm, true));
  if (m?.method !== undefined) headers.push(headerMatcher(":method", m.method, false));
  if (m?.authority !== undefined) headers.push(headerMatcher(":authority", m.authority, false));
  if (headers.length > 0) out.headers = headers;
  return out;
}

/** A protobuf `Duration` in JSON: seconds with 0 or 3 fractional digits (`7s`, `0.200s`). */
function protoDuration(ms: number): string {
  const whole = Math.floor(ms / 1000);
  const frac = Math.round(ms - whole * 1000);
  return frac === 0 ? `${String(whole)}s` : `${String(whole)}.${String(frac).padStart(3, "0")}s`;
}

// Proto3 JSON leaves the default enum value (HUNDRED) out.
function fractionalPercent(p: FractionalPercent): Json {
  return p.denominator === "HUNDRED"
    ? { numerator: p.numerator }
    : { numerator: p.numerator, denominator: p.denominator };
}

/** The route's `typed_per_filter_config` for `envoy.filters.http.fault` (istio TranslateFault), if any. */
function faultFilterConfig(fault: HTTPFaultInjection | undefined): Json | undefined {
  const f = translateFault(fault);
  if (f === undefined) return undefined;
  const abort = f.abort;
  return {
    "envoy.filters.http.fault": {
      "@type": "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault",
      ...(f.delay === undefined
        ? {}
        : {
            delay: {
              fixed_delay: protoDuration(f.delay.fixedDelayMs),
              percentage: fractionalPercent(f.delay.percentage),
            },
          }),
      ...(abort === undefined
        ? {}
        : {
            abort: {
              ...(abort.httpStatus !== undefined ? { http_status: abort.httpStatus } : {}),
              ...(abort.grpcStatus !== undefined ? { grpc_status: abort.grpcStatus } : {}),
              ...(abort.percentage !== undefined ? { percentage: fractionalPercent(abort.percentage) } : {}),
            },
          }),
    },
  };
}

function subsetExists(drs: readonly DestinationRule[], fqdn: string, subset: string): boolean {
  return drs.some(
    (dr) =>
      resolveShortname(dr.spec.host, dr.metadata.namespace) === fqdn &&
      (dr.spec.subsets ?? []).some((s) => s.name === subset),
  );
}

/** Envoy `Route` entries of one VirtualService http route: one per match block (istio `BuildHTTPRoutesForVirtualService`). */
function envoyRoutes(
  vs: VirtualService,
  http: HTTPRoute,
  ports: ReadonlyMap<string, number>,
  fallbackPort: number,
): Json[] {
  const matches: (HTTPMatchRequest | undefined)[] =
    http.match === undefined || http.match.length === 0 ? [undefined] : http.match;
  return matches.map((m) => {
    const name = m?.name !== undefined && m.name !== "" ? `${http.name ?? ""}.${m.name}` : (http.name ?? "");
    const route: Json = { match: routeMatch(m) };
    if (http.directResponse !== undefined) {
      const body = http.directResponse.body;
      route.direct_response = {
        status: http.directResponse.status,
        ...(body !== undefined
          ? { body: "string" in body ? { inline_string: body.string } : { inline_bytes: body.bytes } }
          : {}),
      };
    } else {
      const dests = http.route ?? [];
      const clusters = dests.map((d) => {
        const fqdn = resolveShortname(d.destination.host, vs.metadata.namespace);
        const port = d.destination.port?.number ?? ports.get(fqdn) ?? fallbackPort;
        const authority = mutationFromOperations(d.headers?.request).authority;
        return {
          name: `outbound|${port}|${d.destination.subset ?? ""}|${fqdn}`,
          weight: d.weight ?? (dests.length === 1 ? 100 : 0),
          ...(authority !== undefined ? { host_rewrite_literal: authority } : {}),
        };
      });
      const only = clusters.length === 1 ? clusters[0] : undefined;
      // Istio's host rewrite: the route's, else a single destination's; several destinations
      // keep theirs on their weighted cluster.
      const hostRewrite =
        http.rewrite?.authority ??
        mutationFromOperations(http.headers?.request).authority ??
        only?.host_rewrite_literal;
      route.route = {
        ...(only !== undefined
          ? { cluster: only.name }
          : { weighted_clusters: { clusters: clusters.filter((c) => c.weight > 0) } }),
        ...(hostRewrite !== undefined ? { host_rewrite_literal: hostRewrite } : {}),
        timeout: "0s",
        retry_policy: {
          retry_on: "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes",
          num_retries: http.retries?.attempts ?? 2,
          retry_host_predicate: [{ name: "envoy.retry_host_predicates.previous_hosts" }],
          host_selection_retry_max_attempts: "5",
          retriable_status_codes: [503],
        },
        max_grpc_timeout: "0s",
      };
    }
    route.metadata = { filter_metadata: { istio: { config: configPath(vs) } } };
    route.decorator = { operation: `${vs.spec.hosts?.[0] ?? ""}/*` };
    const perFilter = faultFilterConfig(http.fault);
    if (perFilter !== undefined) route.typed_per_filter_config = perFilter;
    if (name !== "") route.name = name;
    return route;
  });
}

function defaultRoute(fqdn: string, port: number): Json {
  return {
    match: { prefix: "/" },
    route: { cluster: `outbound|${port}||${fqdn}`, timeout: "0s", max_grpc_timeout: "0s" },
    decorator: { operation: `${fqdn}:${port}/*` },
    name: DEFAULT_ROUTE_NAME,
  };
}

/** Istio's sidecar domains of a service's virtual host. */
function sidecarDomains(fqdn: string, port: number): string[] {
  const short = shortName(fqdn);
  const ns = fqdn.slice(short.length + 1, -CLUSTER_SUFFIX.length);
  const names = [fqdn, short, `${short}.${ns}`, `${short}.${ns}.svc`];
  return names.flatMap((n) => [n, `${n}:${port}`]);
}

function boundTo(vs: VirtualService, gateway: string): boolean {
  return boundGateways(vs).includes(gateway);
}

/** Whether a VirtualService host and a Gateway server host overlap (either may be a wildcard). */
function overlaps(serverHost: string, vsHost: string): boolean {
  return hostMatchRank(serverHost, vsHost) !== undefined || hostMatchRank(vsHost, serverHost) !== undefined;
}

/** The services of a snapshot (fqdn → port), from its endpoints and VirtualService hosts. */
function servicePorts(
  s: MeshSnapshot,
  namespace: string,
  known: Readonly<Record<string, readonly number[]>>,
): Map<string, number> {
  const ports = new Map<string, number>();
  for (const [name, list] of Object.entries(known))
    if (list[0] !== undefined) ports.set(resolveShortname(name, namespace), list[0]);
  for (const e of s.endpoints) ports.set(resolveShortname(e.service, namespace), e.port);
  return ports;
}

/**
 * Renders the proxy's route configurations (`RouteConfiguration` JSON, snake_case, Envoy field
 * order) from a snapshot as istiod would: sidecars get one configuration per service port named
 * `<port>` with a virtual host `<fqdn>:<port>` per service; a gateway gets `http.<port>` with a
 * virtual host per host of the VirtualServices bound to a Gateway that selects it and exposes
 * that host on the port.
 */
export function renderRouteConfigs(
  s: MeshSnapshot,
  id: ProxyIdentity,
  known: Readonly<Record<string, readonly number[]>> = {},
): Json[] {
  const ports = servicePorts(s, id.namespace, known);
  if (id.role === "gateway") {
    const vhosts: Json[] = [];
    for (const binding of gatewayBindings(s.gateways, id)) {
      for (const vs of s.virtualServices.filter((v) => boundTo(v, binding.gateway))) {
        const routes = (vs.spec.http ?? []).flatMap((h) => envoyRoutes(vs, h, ports, id.port));
        for (const host of vs.spec.hosts ?? []) {
          const admitted = binding.hosts.filter((h) => overlaps(h.host, host.toLowerCase()));
          if (!admitsNamespace(admitted, vs)) continue;
          vhosts.push({ name: `${host}:${id.port}`, domains: [host, `${host}:${id.port}`], routes });
        }
      }
    }
    return [
      {
        "@type": "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
        name: `http.${id.port}`,
        virtual_hosts: vhosts,
        validate_clusters: false,
      },
    ];
  }
  const byPort = new Map<number, string[]>();
  for (const [fqdn, port] of ports) byPort.set(port, [...(byPort.get(port) ?? []), fqdn]);
  const out: Json[] = [];
  for (const [port, hosts] of [...byPort].sort((a, b) => a[0] - b[0])) {
    const vhosts = hosts.sort().map((fqdn) => {
      const mine = s.virtualServices.filter(
        (vs) =>
          boundTo(vs, "mesh") &&
          (vs.spec.hosts ?? []).some((h) => resolveShortname(h, vs.metadata.namespace) === fqdn),
      );
      const routes =
        mine.length === 0
          ? [defaultRoute(fqdn, port)]
          : mine.flatMap((vs) => (vs.spec.http ?? []).flatMap((h) => envoyRoutes(vs, h, ports, port)));
      return {
        name: `${fqdn}:${port}`,
        domains: sidecarDomains(fqdn, port),
        routes,
        include_request_attempt_count: true,
      };
    });
    vhosts.push({
      name: "allow_any",
      domains: ["*"],
      routes: [
        {
          match: { prefix: "/" },
          route: { cluster: "PassthroughCluster", timeout: "0s" },
          name: "allow_any",
        },
      ],
    } as never);
    out.push({
      "@type": "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
      name: String(port),
      virtual_hosts: vhosts,
      validate_clusters: false,
    });
  }
  return out;
}

/** True when a destination names a subset that no DestinationRule defines (the route would be `NC`). */
export function missingSubset(s: MeshSnapshot, fqdn: string, subset: string): boolean {
  return subset !== "" && !subsetExists(s.destinationRules, fqdn, subset);
}
