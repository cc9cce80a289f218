import { describe, expect, it } from "vitest";
import {
  accessLogCounters,
  extAuthzCounters,
  inboundDownstreamRqActive,
  isInboundPrefix,
  isOutboundSubsetCluster,
  upstreamActive,
} from "./stat-names.js";
import { parseStats, StatsParseError } from "./stats.js";
import { CLUSTERS, STATS_JSON, STATS_TEXT } from "./testdata/admin-bodies.js";

describe("parseStats", () => {
  it.each([
    ["text", STATS_TEXT],
    ["json", STATS_JSON],
  ])("reads counters and gauges from the %s format", (_format, body) => {
    const stats = parseStats(body);
    expect(stats.get("access_logs.grpc_access_log.logs_dropped")).toBe(2);
    expect(stats.get("http.inbound_0.0.0.0_9443;.downstream_rq_active")).toBe(2);
    expect(stats.get(`cluster.${CLUSTERS.REVIEWS_V1}.upstream_rq_active`)).toBe(3);
    expect(stats.get("server.version")).toBe(11071);
  });

  it("skips histogram summaries in the text format", () => {
    const stats = parseStats(STATS_TEXT);
    expect(stats.has(`cluster.${CLUSTERS.REVIEWS_V1}.upstream_rq_time`)).toBe(false);
    expect(stats.has("http.inbound_0.0.0.0_9080.downstream_rq_time")).toBe(false);
  });

  it("skips the histograms element and text readouts in the json format", () => {
    const stats = parseStats(STATS_JSON);
    expect(stats.has("server.compilation_settings.fips_mode_text")).toBe(false);
    expect([...stats.keys()].every((k) => !k.includes("upstream_rq_time"))).toBe(true);
    expect(stats.size).toBe(19);
  });

  it("treats an empty json document and an empty text body as no stats", () => {
    expect(parseStats("{}\n").size).toBe(0);
    expect(parseStats("").size).toBe(0);
  });

  it("rejects broken json with a typed error carrying the cause", () => {
    const err = (() => {
      try {
        parseStats('{"stats": [');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(StatsParseError);
    expect((err as Error).cause).toBeInstanceOf(SyntaxError);
    expect(() => parseStats('{"stats": 3}')).toThrow(StatsParseError);
  });
});

describe("stat pickers", () => {
  const stats = parseStats(STATS_TEXT);

  it("sums ext_authz over HTTP connection managers and ignores the duplicate cluster namespace", () => {
    expect(extAuthzCounters(stats)).toEqual({
      counters: { ok: 1000, error: 1, denied: 0, failure_mode_allowed: 1 },
      source: "http",
    });
  });

  it("falls back to cluster.<target>.ext_authz.* when the filter namespace is absent", () => {
    const only = parseStats(
      [
        `cluster.${CLUSTERS.REVIEWS_V1}.ext_authz.ok: 5`,
        `cluster.${CLUSTERS.REVIEWS_V2}.ext_authz.ok: 6`,
        `cluster.${CLUSTERS.REVIEWS_V2}.ext_authz.error: 2`,
        `cluster.${CLUSTERS.REVIEWS_V2}.ext_authz.failure_mode_allowed: 2`,
      ].join("\n"),
    );
    expect(extAuthzCounters(only)).toEqual({
      counters: { ok: 11, error: 2, denied: 0, failure_mode_allowed: 2 },
      source: "cluster",
    });
    expect(extAuthzCounters(new Map()).source).toBe("none");
  });

  it("reads the filter's own stat_prefix level (http.<p>.ext_authz.<prefix>.<name>)", () => {
    const prefixed = parseStats("http.inbound_0.0.0.0_8080.ext_authz.tranquil.error: 4\n");
    expect(extAuthzCounters(prefixed).counters.error).toBe(4);
  });

  it.each([
    ["inbound_0.0.0.0_9080", "sidecar", true],
    ["inbound_0.0.0.0_9080;", "sidecar", true],
    ["InboundPassthroughClusterIpv6", "sidecar", true],
    ["outbound_0.0.0.0_9080", "sidecar", false],
    ["admin", "sidecar", false],
    ["agent", "sidecar", false],
    ["outbound_0.0.0.0_8080", "gateway", true],
    ["outbound_0.0.0.0_8080;", "gateway", true],
    ["admin", "gateway", false],
  ] as const)("isInboundPrefix(%s, %s) = %s", (prefix, role, expected) => {
    expect(isInboundPrefix(prefix, role)).toBe(expected);
  });

  it("sums inbound downstream_rq_active per role", () => {
    expect(inboundDownstreamRqActive(stats, "sidecar")).toBe(4 + 2 + 1);
    expect(inboundDownstreamRqActive(stats, "gateway")).toBe(5);
  });

  it.each([
    [CLUSTERS.REVIEWS_V1, true],
    [CLUSTERS.REVIEWS_ALL, false],
    ["inbound|9080||", false],
    ["xds-grpc", false],
  ])("isOutboundSubsetCluster(%s) = %s", (cluster, expected) => {
    expect(isOutboundSubsetCluster(cluster)).toBe(expected);
  });

  it("reports upstream gauges per outbound subset cluster only", () => {
    expect(upstreamActive(stats)).toEqual({
      [CLUSTERS.REVIEWS_V1]: { rqActive: 3, rqPendingActive: 1 },
      [CLUSTERS.REVIEWS_V2]: { rqActive: 0, rqPendingActive: 0 },
    });
  });

  it("reads the gRPC access log counters, 0 when absent", () => {
    expect(accessLogCounters(stats)).toEqual({ written: 1041, dropped: 2 });
    expect(accessLogCounters(new Map())).toEqual({ written: 0, dropped: 0 });
  });
});
