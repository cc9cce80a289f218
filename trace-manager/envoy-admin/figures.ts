/**
 * Builds the `EnvoyFigures` a TraceManager reports (DESIGN §3) from parsed `/stats` and `/clusters`.
 */
import type { EnvoyFigures } from "../store/port.js";
import { healthyEndpoints, type ParsedClusters } from "./clusters.js";
import {
  accessLogCounters,
  extAuthzCounters,
  inboundDownstreamRqActive,
  isOutboundSubsetCluster,
  upstreamActive,
  type ProxyRole,
} from "./stat-names.js";
import type { StatsMap } from "./stats.js";

/** Input to `envoyFigures`. */
export interface EnvoyFiguresInput {
  readonly stats: StatsMap;
  readonly clusters: ParsedClusters;
  /** When the admin endpoints were read (epoch ms, from the injected clock). */
  readonly readAt: number;
  /** Which HTTP connection managers are "inbound" (see `isInboundPrefix`). Default `sidecar`. */
  readonly role?: ProxyRole;
}

/**
 * The figures of one read: ext_authz counters (filter namespace, or the cluster namespace when the
 * filter one is absent), ALS written/dropped, inbound `downstream_rq_active`, and per outbound
 * subset cluster the active/pending requests and the healthy endpoint count.
 */
export function envoyFigures(input: EnvoyFiguresInput): EnvoyFigures {
  const role = input.role ?? "sidecar";
  const { counters } = extAuthzCounters(input.stats);
  return {
    readAt: input.readAt,
    extAuthz: {
      ok: counters.ok,
      error: counters.error,
      denied: counters.denied,
      failureModeAllowed: counters.failure_mode_allowed,
    },
    accessLogs: accessLogCounters(input.stats),
    downstreamRqActive: inboundDownstreamRqActive(input.stats, role),
    upstream: upstreamActive(input.stats),
    healthyEndpoints: healthyEndpoints(input.clusters, isOutboundSubsetCluster),
  };
}

/** Which of Envoy's "something was lost" counters rose between two reads (DESIGN §3 watermarks). */
export interface EnvoyLossRise {
  readonly extAuthzError: number;
  readonly extAuthzFailureModeAllowed: number;
  readonly accessLogsDropped: number;
}

/**
 * The rise of ext_authz `error`, `failure_mode_allowed` and ALS `logs_dropped` since `previous`.
 * A counter that went down (Envoy restarted, hot restart) counts its whole new value as a rise,
 * since what happened before the restart can no longer be told apart.
 */
export function lossRise(previous: EnvoyFigures | undefined, current: EnvoyFigures): EnvoyLossRise {
  const rise = (before: number | undefined, now: number): number =>
    before === undefined ? 0 : now >= before ? now - before : now;
  return {
    extAuthzError: rise(previous?.extAuthz.error, current.extAuthz.error),
    extAuthzFailureModeAllowed: rise(
      previous?.extAuthz.failureModeAllowed,
      current.extAuthz.failureModeAllowed,
    ),
    accessLogsDropped: rise(previous?.accessLogs.dropped, current.accessLogs.dropped),
  };
}
