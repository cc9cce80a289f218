/**
 * Routes one request by an Envoy RouteConfiguration as Envoy's router does: the virtual host
 * (`virtual-host.ts`), then the first route whose match holds (path specifier, every header and
 * query-parameter matcher, `grpc`, the runtime fraction), then its action: a cluster, a weighted
 * cluster (one random value per request, `value % total`, first cumulative weight above it), a
 * redirect or a direct response. Header operations of every level come back in the order Envoy
 * applies them, with the route's timeout and retry policy. No route: 404 with flag `NR`.
 */
import { findVirtualHost } from "./virtual-host.js";
import { matchHeader, matchPath, matchQueryParameter, type EnvoyRequest } from "./envoy-matchers.js";
import { levelOps, type HeaderOp } from "./header-ops.js";
import type {
  EnvoyClusterWeight,
  EnvoyFractionalPercent,
  EnvoyHeaderMutations,
  EnvoyRetryPolicy,
  EnvoyRoute,
  EnvoyRouteConfiguration,
  EnvoyVirtualHost,
} from "./route-config-types.js";

/** Where a request goes. */
export type EnvoyRouteDecision =
  | {
      readonly kind: "forward";
      readonly virtualHost: string;
      readonly route: string | undefined;
      readonly cluster: string;
      /** Upstream timeout; 0 = none; Envoy's default is 15 s when the route sets none. */
      readonly timeoutMs: number;
      /** The route's retry policy, else the virtual host's; undefined = no retries. */
      readonly retryPolicy: EnvoyRetryPolicy | undefined;
      readonly prefixRewrite: string | undefined;
      readonly hostRewrite: string | undefined;
      readonly requestHeaderOps: readonly HeaderOp[];
      readonly responseHeaderOps: readonly HeaderOp[];
    }
  | {
      readonly kind: "direct-response";
      readonly virtualHost: string;
      readonly route: string | undefined;
      readonly status: number;
      readonly body: string;
      readonly responseHeaderOps: readonly HeaderOp[];
    }
  | {
      readonly kind: "redirect";
      readonly virtualHost: string;
      readonly route: string | undefined;
      readonly status: number;
      readonly location: string;
      readonly responseHeaderOps: readonly HeaderOp[];
    }
  | { readonly kind: "no-route"; readonly status: 404; readonly flag: "NR"; readonly virtualHost?: string };

/** A request with its authority, and the per-request random value Envoy draws once. */
export interface EnvoyRoutedRequest extends EnvoyRequest {
  readonly authority: string;
  /** Scheme of the downstream request (for redirects); default `http`. */
  readonly scheme?: string;
}

const DENOMINATORS = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 } as const;

function fractionHolds(f: EnvoyFractionalPercent | undefined, random: number): boolean {
  if (f === undefined) return true;
  const denominator = DENOMINATORS[f.denominator ?? "HUNDRED"];
  return random % denominator < (f.numerator ?? 0);
}

function isGrpc(req: EnvoyRequest): boolean {
  const ct = req.headers["content-type"];
  const v = typeof ct === "string" ? ct : ct?.[0];
  return v !== undefined && /^application\/grpc(\+|$)/.test(v);
}

/** Whether a route's match holds for the request. */
export function routeMatches(route: EnvoyRoute, req: EnvoyRequest, random: number): boolean {
  const m = route.match;
  if (!matchPath(m, req.path)) return false;
  if (m.grpc !== undefined && !isGrpc(req)) return false;
  if (!(m.headers ?? []).every((h) => matchHeader(h, req))) return false;
  if (!(m.query_parameters ?? []).every((q) => matchQueryParameter(q, req))) return false;
  return fractionHolds(m.runtime_fraction?.default_value, random);
}

/** Parses a JSON duration (`"1.5s"`); undefined when absent or malformed. */
export function durationMs(d: string | undefined): number | undefined {
  if (d === undefined) return undefined;
  const m = /^(-?\d+(?:\.\d+)?)s$/.exec(d);
  return m?.[1] === undefined ? undefined : Math.round(Number(m[1]) * 1000);
}

/** The weighted cluster chosen by `random` (Envoy: `random % total`, first cumulative weight above it). */
export function pickWeightedCluster(
  clusters: readonly EnvoyClusterWeight[],
  totalWeight: number | undefined,
  random: number,
): EnvoyClusterWeight | undefined {
  const total = totalWeight ?? clusters.reduce((s, c) => s + (c.weight ?? 0), 0);
  if (total <= 0) return undefined;
  const selected = random % total;
  let sum = 0;
  for (const c of clusters) {
    sum += c.weight ?? 0;
    if (selected < sum) return c;
  }
  return undefined;
}

function orderedOps(
  config: EnvoyRouteConfiguration,
  levels: readonly EnvoyHeaderMutations[],
): { request: HeaderOp[]; response: HeaderOp[] } {
  // `levels` is most specific first; by default Envoy applies them in that order (the least
  // specific wins on overwrite); most_specific_header_mutations_wins reverses it.
  const ordered = config.most_specific_header_mutations_wins === true ? [...levels].reverse() : levels;
  const ops = ordered.map(levelOps);
  return { request: ops.flatMap((o) => o.request), response: ops.flatMap((o) => o.response) };
}

const REDIRECT_STATUS = {
  MOVED_PERMANENTLY: 301,
  FOUND: 302,
  SEE_OTHER: 303,
  TEMPORARY_REDIRECT: 307,
  PERMANENT_REDIRECT: 308,
} as const;

function redirectLocation(route: EnvoyRoute, req: EnvoyRoutedRequest): string {
  const r = route.redirect ?? {};
  const scheme = r.https_redirect === true ? "https" : (r.scheme_redirect ?? req.scheme ?? "http");
  const authority = r.host_redirect ?? req.authority;
  const host =
    r.port_redirect !== undefined ? `${authority.replace(/:\d+$/, "")}:${r.port_redirect}` : authority;
  const q = req.path.search(/[?#]/);
  const path = q < 0 ? req.path : req.path.slice(0, q);
  const query = q < 0 || r.strip_query === true ? "" : req.path.slice(q);
  let newPath = path;
  if (r.path_redirect !== undefined) newPath = r.path_redirect;
  else if (r.prefix_rewrite !== undefined && route.match.prefix !== undefined)
    newPath = r.prefix_rewrite + path.slice(route.match.prefix.length);
  return `${scheme}://${host}${newPath}${r.path_redirect?.includes("?") === true ? "" : query}`;
}

/** Routes `req` by `config`; `random` is the request's one random draw (a non-negative integer). */
export function selectRoute(
  config: EnvoyRouteConfiguration,
  req: EnvoyRoutedRequest,
  random: number,
): EnvoyRouteDecision {
  const vh: EnvoyVirtualHost | undefined = findVirtualHost(config, req.authority);
  if (vh === undefined) return { kind: "no-route", status: 404, flag: "NR" };
  const route = (vh.routes ?? []).find((r) => routeMatches(r, req, random));
  if (route === undefined) return { kind: "no-route", status: 404, flag: "NR", virtualHost: vh.name };
  const base = { virtualHost: vh.name, route: route.name };
  if (route.direct_response !== undefined) {
    const ops = orderedOps(config, [route, vh, config]);
    return {
      kind: "direct-response",
      ...base,
      status: route.direct_response.status,
      body: route.direct_response.body?.inline_string ?? "",
      responseHeaderOps: ops.response,
    };
  }
  if (route.redirect !== undefined) {
    const ops = orderedOps(config, [route, vh, config]);
    return {
      kind: "redirect",
      ...base,
      status: REDIRECT_STATUS[route.redirect.response_code ?? "MOVED_PERMANENTLY"],
      location: redirectLocation(route, req),
      responseHeaderOps: ops.response,
    };
  }
  const action = route.route;
  const weighted = action?.weighted_clusters;
  const chosen =
    weighted !== undefined
      ? pickWeightedCluster(weighted.clusters, weighted.total_weight, random)
      : undefined;
  const cluster = chosen?.name ?? action?.cluster;
  // No cluster: only an action this router does not take gets here (cluster_header, a cluster
  // specifier plugin; unsupportedRouteFields reports them), and Envoy answers those with 404
  // when they name no cluster. Envoy refuses weights that sum to 0 at load time.
  if (cluster === undefined) return { kind: "no-route", status: 404, flag: "NR", virtualHost: vh.name };
  const ops = orderedOps(config, chosen !== undefined ? [chosen, route, vh, config] : [route, vh, config]);
  return {
    kind: "forward",
    ...base,
    cluster,
    timeoutMs: durationMs(action?.timeout) ?? 15_000,
    retryPolicy: action?.retry_policy ?? vh.retry_policy,
    prefixRewrite: action?.prefix_rewrite,
    hostRewrite: action?.host_rewrite_literal,
    requestHeaderOps: ops.request,
    responseHeaderOps: ops.response,
  };
}
