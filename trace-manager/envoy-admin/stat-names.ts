/**
 * Envoy's stat names for the figures of DESIGN §3, and pickers over a parsed `/stats` map.
 *
 * Checked against Envoy's own docs and source:
 * - ext_authz HTTP filter (`docs/root/configuration/http/http_filters/ext_authz_filter.rst`): the docs
 *   name the namespace `cluster.<route target cluster>.ext_authz.`; the source
 *   (`source/extensions/filters/http/ext_authz/ext_authz.h`, `generateStats`) also emits the same
 *   counters in the filter's own scope, `<HCM stat prefix>ext_authz.[<filter stat_prefix>.]<name>`,
 *   i.e. `http.<stat_prefix>.ext_authz.ok`. Both are incremented for the same event, so the two
 *   namespaces are never added together (see `extAuthzCounters`).
 * - gRPC access log (`configuration/observability/access_log/stats`): `access_logs.grpc_access_log.`
 *   `{logs_written,logs_dropped}`.
 * - HTTP connection manager: `http.<stat_prefix>.downstream_rq_active` (gauge).
 * - Cluster manager: `cluster.<name>.{upstream_rq_active,upstream_rq_pending_active}` (gauges).
 */
import type { StatsMap } from "./stats.js";

/** The ext_authz counters the TraceManager reads. */
export const EXT_AUTHZ_COUNTERS = ["ok", "error", "denied", "failure_mode_allowed"] as const;
export type ExtAuthzCounter = (typeof EXT_AUTHZ_COUNTERS)[number];

/** Full names of the gRPC access log counters. */
export const ACCESS_LOG_STATS = {
  written: "access_logs.grpc_access_log.logs_written",
  dropped: "access_logs.grpc_access_log.logs_dropped",
} as const;

/** Which namespace the ext_authz figures were taken from. */
export type ExtAuthzSource = "http" | "cluster" | "none";

const HTTP_EXT_AUTHZ = /^http\.(.+)\.ext_authz\.(?:[^.]+\.)?(ok|error|denied|failure_mode_allowed)$/;
const CLUSTER_EXT_AUTHZ = /^cluster\.(.+)\.ext_authz\.(?:[^.]+\.)?(ok|error|denied|failure_mode_allowed)$/;

/**
 * ext_authz ok/error/denied/failure_mode_allowed, summed over every HTTP connection manager
 * (`http.*.ext_authz.*`). Falls back to the per-cluster namespace (`cluster.*.ext_authz.*`) only
 * when no filter-scope counter exists: both namespaces count the same events, and the cluster one
 * is skipped when a request has no route (Envoy only charges it `if (cluster_)`).
 */
export function extAuthzCounters(stats: StatsMap): {
  readonly counters: Readonly<Record<ExtAuthzCounter, number>>;
  readonly source: ExtAuthzSource;
} {
  const http = sumMatching(stats, HTTP_EXT_AUTHZ);
  if (http.seen) return { counters: http.sums, source: "http" };
  const cluster = sumMatching(stats, CLUSTER_EXT_AUTHZ);
  return { counters: cluster.sums, source: cluster.seen ? "cluster" : "none" };
}

function sumMatching(
  stats: StatsMap,
  pattern: RegExp,
): { sums: Record<ExtAuthzCounter, number>; seen: boolean } {
  const sums: Record<ExtAuthzCounter, number> = { ok: 0, error: 0, denied: 0, failure_mode_allowed: 0 };
  let seen = false;
  for (const [name, value] of stats) {
    const m = pattern.exec(name);
    const counter = m?.[2] as ExtAuthzCounter | undefined;
    if (counter === undefined) continue;
    sums[counter] += value;
    seen = true;
  }
  return { sums, seen };
}

/** The TraceManager's role decides which HTTP connection managers count as "inbound". */
export type ProxyRole = "sidecar" | "gateway";

const HCM_ACTIVE = /^http\.(.+)\.downstream_rq_active$/;

/**
 * Whether an HTTP connection manager stat prefix is the proxy's inbound side.
 *
 * Istio names them (pilot `inboundChainConfig.StatPrefix`): sidecar inbound chains
 * `inbound_<ip>_<port>` (e.g. `inbound_0.0.0.0_8080`), passthrough chains by their cluster name
 * (`InboundPassthroughClusterIpv4`/`…Ipv6`), sidecar outbound `outbound_<ip>_<port>`. Newer Istio
 * appends `;` to the prefix for tag extraction (`http.inbound_0.0.0.0_8080;.downstream_rq_active`),
 * so a trailing `;` is ignored. A gateway has no inbound chain: its listeners are named
 * `outbound_<ip>_<port>` and carry the ingress traffic, so for a gateway those count. `admin` and
 * `agent` (Envoy admin, Istio agent) never count.
 */
export function isInboundPrefix(prefix: string, role: ProxyRole): boolean {
  const p = prefix.endsWith(";") ? prefix.slice(0, -1) : prefix;
  if (role === "gateway") return p.startsWith("outbound_");
  return p.startsWith("inbound_") || p.startsWith("InboundPassthroughCluster");
}

/** Sum of `http.<prefix>.downstream_rq_active` over the inbound prefixes for `role`. */
export function inboundDownstreamRqActive(stats: StatsMap, role: ProxyRole): number {
  let sum = 0;
  for (const [name, value] of stats) {
    const prefix = HCM_ACTIVE.exec(name)?.[1];
    if (prefix !== undefined && isInboundPrefix(prefix, role)) sum += value;
  }
  return sum;
}

/** Istio outbound subset cluster name: `outbound|<port>|<subset>|<host>` with a non-empty subset. */
const OUTBOUND_SUBSET = /^outbound\|\d+\|[^|]+\|[^|]+$/;

/** Whether a cluster name is an Istio outbound *subset* cluster (`outbound|80|v1|host`). */
export function isOutboundSubsetCluster(cluster: string): boolean {
  return OUTBOUND_SUBSET.test(cluster);
}

const CLUSTER_GAUGE = /^cluster\.(.+)\.(upstream_rq_active|upstream_rq_pending_active)$/;

/** Per outbound subset cluster: `upstream_rq_active` and `upstream_rq_pending_active` (0 when absent). */
export function upstreamActive(
  stats: StatsMap,
): Record<string, { rqActive: number; rqPendingActive: number }> {
  const out: Record<string, { rqActive: number; rqPendingActive: number }> = {};
  for (const [name, value] of stats) {
    const m = CLUSTER_GAUGE.exec(name);
    const cluster = m?.[1];
    if (cluster === undefined || !isOutboundSubsetCluster(cluster)) continue;
    const entry = (out[cluster] ??= { rqActive: 0, rqPendingActive: 0 });
    if (m?.[2] === "upstream_rq_active") entry.rqActive = value;
    else entry.rqPendingActive = value;
  }
  return out;
}

/** `access_logs.grpc_access_log.{logs_written,logs_dropped}` (0 when absent). */
export function accessLogCounters(stats: StatsMap): { written: number; dropped: number } {
  return {
    written: stats.get(ACCESS_LOG_STATS.written) ?? 0,
    dropped: stats.get(ACCESS_LOG_STATS.dropped) ?? 0,
  };
}
