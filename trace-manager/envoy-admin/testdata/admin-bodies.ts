/**
 * Handcrafted admin bodies for this folder's tests, written to Envoy's documented formats.
 * Test-only: imported by `*.test.ts` here, never by runtime code.
 *
 * - `/stats` text: `name: value` per counter/gauge; histograms print quantile summaries
 *   (`P0(nan,1) P25(...)`) or `No recorded values` (Envoy docs, operations/admin "/stats").
 * - `/stats?format=json`: `{"stats":[{"name","value"}…,{"histograms":{"supported_quantiles",
 *   "computed_quantiles"}}]}` (same page, "/stats?format=json").
 * - `/clusters` text: `<cluster>::<host>::<stat>::<value>` (Envoy `test/server/admin/clusters_handler_test.cc`).
 * - `/clusters?format=json`: `envoy.admin.v3.Clusters` (`envoy/admin/v3/clusters.proto`).
 * Names follow Istio's conventions: `http.inbound_0.0.0.0_<port>` HCM prefixes (newer Istio adds a
 * trailing `;`), `outbound|<port>|<subset>|<fqdn>` clusters.
 */

const REVIEWS_V1 = "outbound|9080|v1|reviews.default.svc.cluster.local";
const REVIEWS_V2 = "outbound|9080|v2|reviews.default.svc.cluster.local";
const REVIEWS_ALL = "outbound|9080||reviews.default.svc.cluster.local";

/** Cluster names used by the fixtures. */
export const CLUSTERS = { REVIEWS_V1, REVIEWS_V2, REVIEWS_ALL } as const;

/** A sidecar's `/stats` in text format. */
export const STATS_TEXT = `access_logs.grpc_access_log.logs_dropped: 2
access_logs.grpc_access_log.logs_written: 1041
cluster.${REVIEWS_V1}.ext_authz.ok: 7
cluster.${REVIEWS_V1}.upstream_rq_active: 3
cluster.${REVIEWS_V1}.upstream_rq_pending_active: 1
cluster.${REVIEWS_V2}.upstream_rq_active: 0
cluster.${REVIEWS_V2}.upstream_rq_pending_active: 0
cluster.${REVIEWS_ALL}.upstream_rq_active: 9
cluster.xds-grpc.upstream_rq_active: 1
http.admin.downstream_rq_active: 1
http.agent.downstream_rq_active: 1
http.inbound_0.0.0.0_9080.downstream_rq_active: 4
http.inbound_0.0.0.0_9080.ext_authz.denied: 0
http.inbound_0.0.0.0_9080.ext_authz.error: 1
http.inbound_0.0.0.0_9080.ext_authz.failure_mode_allowed: 1
http.inbound_0.0.0.0_9080.ext_authz.ok: 900
http.inbound_0.0.0.0_9443;.downstream_rq_active: 2
http.inbound_0.0.0.0_9443;.ext_authz.ok: 100
http.InboundPassthroughClusterIpv4.downstream_rq_active: 1
http.outbound_0.0.0.0_9080.downstream_rq_active: 5
server.version: 11071
cluster.${REVIEWS_V1}.upstream_rq_time: P0(nan,1) P25(nan,1.025) P50(nan,1.05) P75(nan,1.075) P90(nan,1.09) P95(nan,1.095) P99(nan,1.099) P99.5(nan,1.0995) P99.9(nan,1.0999) P100(nan,1.1)
http.inbound_0.0.0.0_9080.downstream_rq_time: No recorded values
`;

/** The same figures in `?format=json`, with a text readout and the histograms element. */
export const STATS_JSON = JSON.stringify({
  stats: [
    { name: "access_logs.grpc_access_log.logs_dropped", value: 2 },
    { name: "access_logs.grpc_access_log.logs_written", value: 1041 },
    { name: `cluster.${REVIEWS_V1}.ext_authz.ok`, value: 7 },
    { name: `cluster.${REVIEWS_V1}.upstream_rq_active`, value: 3 },
    { name: `cluster.${REVIEWS_V1}.upstream_rq_pending_active`, value: 1 },
    { name: `cluster.${REVIEWS_V2}.upstream_rq_active`, value: 0 },
    { name: `cluster.${REVIEWS_V2}.upstream_rq_pending_active`, value: 0 },
    { name: `cluster.${REVIEWS_ALL}.upstream_rq_active`, value: 9 },
    { name: "http.admin.downstream_rq_active", value: 1 },
    { name: "http.inbound_0.0.0.0_9080.downstream_rq_active", value: 4 },
    { name: "http.inbound_0.0.0.0_9080.ext_authz.denied", value: 0 },
    { name: "http.inbound_0.0.0.0_9080.ext_authz.error", value: 1 },
    { name: "http.inbound_0.0.0.0_9080.ext_authz.failure_mode_allowed", value: 1 },
    { name: "http.inbound_0.0.0.0_9080.ext_authz.ok", value: 900 },
    { name: "http.inbound_0.0.0.0_9443;.downstream_rq_active", value: 2 },
    { name: "http.inbound_0.0.0.0_9443;.ext_authz.ok", value: 100 },
    { name: "http.InboundPassthroughClusterIpv4.downstream_rq_active", value: 1 },
    { name: "http.outbound_0.0.0.0_9080.downstream_rq_active", value: 5 },
    { name: "server.version", value: 11071 },
    { name: "server.compilation_settings.fips_mode_text", value: "false" },
    {
      histograms: {
        supported_quantiles: [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100],
        computed_quantiles: [
          {
            name: `cluster.${REVIEWS_V1}.upstream_rq_time`,
            values: [{ interval: null, cumulative: 1 }],
          },
        ],
      },
    },
  ],
});

/** A sidecar's `/clusters` in text format: v1 has one healthy and one ejected host, v2 none healthy. */
export const CLUSTERS_TEXT = `version_info::2026-11-22T02:00:00Z/42
${REVIEWS_V1}::observability_name::${REVIEWS_V1}
${REVIEWS_V1}::default_priority::max_connections::4294967295
${REVIEWS_V1}::high_priority::max_requests::4294967295
${REVIEWS_V1}::outlier::success_rate_average::-1
${REVIEWS_V1}::added_via_api::true
${REVIEWS_V1}::10.1.0.7:9080::cx_active::2
${REVIEWS_V1}::10.1.0.7:9080::rq_active::1
${REVIEWS_V1}::10.1.0.7:9080::hostname::
${REVIEWS_V1}::10.1.0.7:9080::health_flags::healthy
${REVIEWS_V1}::10.1.0.7:9080::weight::1
${REVIEWS_V1}::10.1.0.8:9080::cx_active::0
${REVIEWS_V1}::10.1.0.8:9080::health_flags::/failed_outlier_check
${REVIEWS_V1}::10.1.0.8:9080::weight::1
${REVIEWS_V2}::added_via_api::true
${REVIEWS_V2}::10.1.0.9:9080::health_flags::/failed_active_hc/active_hc_timeout
${REVIEWS_V2}::[fd00::9]:9080::health_flags::/pending_dynamic_removal
${REVIEWS_ALL}::added_via_api::true
${REVIEWS_ALL}::10.1.0.7:9080::health_flags::healthy
${REVIEWS_ALL}::10.1.0.10:9080::health_flags::/degraded_eds_health
BlackHoleCluster::default_priority::max_connections::1024
BlackHoleCluster::added_via_api::false
`;

/** The same clusters in `?format=json`. */
export const CLUSTERS_JSON = JSON.stringify({
  cluster_statuses: [
    {
      name: REVIEWS_V1,
      added_via_api: true,
      host_statuses: [
        {
          address: { socket_address: { address: "10.1.0.7", port_value: 9080 } },
          stats: [{ name: "cx_active", type: "GAUGE", value: "2" }],
          health_status: { eds_health_status: "HEALTHY" },
          weight: 1,
        },
        {
          address: { socket_address: { address: "10.1.0.8", port_value: 9080 } },
          health_status: { failed_outlier_check: true, eds_health_status: "HEALTHY" },
          weight: 1,
        },
      ],
    },
    {
      name: REVIEWS_V2,
      added_via_api: true,
      host_statuses: [
        {
          address: { socket_address: { address: "10.1.0.9", port_value: 9080 } },
          health_status: { failed_active_health_check: true, active_hc_timeout: true },
        },
        {
          address: { socket_address: { address: "fd00::9", port_value: 9080 } },
          health_status: { pending_dynamic_removal: true, eds_health_status: "HEALTHY" },
        },
      ],
    },
    {
      name: REVIEWS_ALL,
      added_via_api: true,
      host_statuses: [
        {
          address: { socket_address: { address: "10.1.0.7", port_value: 9080 } },
          health_status: {},
        },
        {
          address: { socket_address: { address: "10.1.0.10", port_value: 9080 } },
          health_status: { eds_health_status: "DEGRADED" },
        },
      ],
    },
    { name: "BlackHoleCluster" },
  ],
});
