import { describe, expect, it } from "vitest";
import { ClustersParseError, healthyEndpoints, isHealthyFlags, parseClusters } from "./clusters.js";
import { isOutboundSubsetCluster } from "./stat-names.js";
import { CLUSTERS, CLUSTERS_JSON, CLUSTERS_TEXT } from "./testdata/admin-bodies.js";

describe("parseClusters", () => {
  it.each([
    ["text", CLUSTERS_TEXT],
    ["json", CLUSTERS_JSON],
  ])("reads hosts, addresses and health from the %s format", (_format, body) => {
    const parsed = parseClusters(body);
    expect(parsed.get(CLUSTERS.REVIEWS_V1)).toEqual([
      { address: "10.1.0.7:9080", healthy: true, flags: [] },
      { address: "10.1.0.8:9080", healthy: false, flags: ["failed_outlier_check"] },
    ]);
    expect(parsed.get(CLUSTERS.REVIEWS_V2)).toEqual([
      { address: "10.1.0.9:9080", healthy: false, flags: ["failed_active_hc", "active_hc_timeout"] },
      { address: "[fd00::9]:9080", healthy: false, flags: ["pending_dynamic_removal"] },
    ]);
    // A degraded host still serves.
    expect(parsed.get(CLUSTERS.REVIEWS_ALL)?.map((h) => h.healthy)).toEqual([true, true]);
    // Clusters without hosts are listed, not dropped.
    expect(parsed.get("BlackHoleCluster")).toEqual([]);
  });

  it("does not mistake cluster-wide lines for hosts", () => {
    const parsed = parseClusters(CLUSTERS_TEXT);
    const addresses = parsed.get(CLUSTERS.REVIEWS_V1)?.map((h) => h.address);
    expect(addresses).not.toContain("default_priority");
    expect(addresses).not.toContain("outlier");
    expect(parsed.has("version_info")).toBe(false);
  });

  it("counts healthy endpoints, all clusters or a chosen subset", () => {
    const parsed = parseClusters(CLUSTERS_TEXT);
    expect(healthyEndpoints(parsed, isOutboundSubsetCluster)).toEqual({
      [CLUSTERS.REVIEWS_V1]: 1,
      [CLUSTERS.REVIEWS_V2]: 0,
    });
    expect(healthyEndpoints(parsed)[CLUSTERS.REVIEWS_ALL]).toBe(2);
    expect(healthyEndpoints(parsed).BlackHoleCluster).toBe(0);
  });

  it("maps JSON eds_health_status like Envoy's text flags", () => {
    const body = JSON.stringify({
      cluster_statuses: [
        {
          name: "c",
          host_statuses: [
            {
              address: { socket_address: { address: "1.1.1.1", port_value: 1 } },
              health_status: { eds_health_status: "UNHEALTHY" },
            },
            {
              address: { socket_address: { address: "1.1.1.2", port_value: 1 } },
              health_status: { eds_health_status: "DRAINING" },
            },
            {
              address: { socket_address: { address: "1.1.1.3", port_value: 1 } },
              health_status: { eds_health_status: "UNKNOWN" },
            },
            { address: { pipe: { path: "/var/run/x.sock" } }, health_status: { pending_active_hc: true } },
          ],
        },
      ],
    });
    expect(parseClusters(body).get("c")).toEqual([
      { address: "1.1.1.1:1", healthy: false, flags: ["failed_eds_health"] },
      { address: "1.1.1.2:1", healthy: false, flags: ["eds_status_draining"] },
      { address: "1.1.1.3:1", healthy: true, flags: [] },
      { address: "/var/run/x.sock", healthy: false, flags: ["pending_active_hc"] },
    ]);
  });

  it.each([
    [[], true],
    [["degraded_active_hc"], true],
    [["degraded_eds_health", "failed_outlier_check"], false],
    [["excluded_via_immediate_hc_fail"], false],
  ])("isHealthyFlags(%j) = %s", (flags, expected) => {
    expect(isHealthyFlags(flags)).toBe(expected);
  });

  it("rejects broken json with a typed error", () => {
    expect(() => parseClusters("{nope")).toThrow(ClustersParseError);
    expect(() => parseClusters('{"cluster_statuses": {}}')).toThrow(ClustersParseError);
    expect(parseClusters("{}").size).toBe(0);
  });
});
