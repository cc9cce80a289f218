/**
 * The TraceManager's reader of its own Envoy's admin endpoint: one parser per format, the figures
 * of DESIGN §3, config epochs (§4.7), and a small HTTP client. See docs/envoy-admin.md.
 */
export { EnvoyAdminClient, EnvoyAdminError, FIGURE_STATS_FILTER, ENVOY_ADMIN_FAILURE } from "./client.js";
export type { EnvoyAdminClientOptions, EnvoyAdminFailure } from "./client.js";
export { parseStats, StatsParseError } from "./stats.js";
export type { StatsMap } from "./stats.js";
export {
  extAuthzCounters,
  accessLogCounters,
  inboundDownstreamRqActive,
  upstreamActive,
  isInboundPrefix,
  isOutboundSubsetCluster,
} from "./stat-names.js";
export type { ProxyRole, ExtAuthzSource } from "./stat-names.js";
export { parseClusters, healthyEndpoints, isHealthyFlags, ClustersParseError } from "./clusters.js";
export type { ClusterHost, ParsedClusters } from "./clusters.js";
export { parseRouteConfigs, routeConfigsOf, ConfigDumpParseError } from "./config-dump.js";
export type { DumpRouteConfig, DumpVirtualHost, DumpRoute } from "./config-dump.js";
export {
  routeEpochs,
  reportedEpoch,
  sentinelEpoch,
  sentinelPattern,
  virtualHostHolds,
} from "./route-epochs.js";
export type { EpochResult, RouteEpochOptions } from "./route-epochs.js";
export { envoyFigures, lossRise } from "./figures.js";
export type { EnvoyFiguresInput, EnvoyLossRise } from "./figures.js";
export { readEnvoyFigures, readEpochs, routeConfigNameRegex } from "./reader.js";
