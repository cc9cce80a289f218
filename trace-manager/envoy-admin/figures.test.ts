import { describe, expect, it } from "vitest";
import type { EnvoyFigures } from "../store/port.js";
import { parseClusters } from "./clusters.js";
import { envoyFigures, lossRise } from "./figures.js";
import { parseStats } from "./stats.js";
import { CLUSTERS, CLUSTERS_JSON, CLUSTERS_TEXT, STATS_JSON, STATS_TEXT } from "./testdata/admin-bodies.js";

describe("envoyFigures", () => {
  it.each([
    ["text", STATS_TEXT, CLUSTERS_TEXT],
    ["json", STATS_JSON, CLUSTERS_JSON],
  ])("builds the reported figures from %s bodies", (_format, statsBody, clustersBody) => {
    const figures = envoyFigures({
      stats: parseStats(statsBody),
      clusters: parseClusters(clustersBody),
      readAt: 1_700_000_000_000,
    });
    expect(figures).toEqual({
      readAt: 1_700_000_000_000,
      extAuthz: { ok: 1000, error: 1, denied: 0, failureModeAllowed: 1 },
      accessLogs: { written: 1041, dropped: 2 },
      downstreamRqActive: 7,
      upstream: {
        [CLUSTERS.REVIEWS_V1]: { rqActive: 3, rqPendingActive: 1 },
        [CLUSTERS.REVIEWS_V2]: { rqActive: 0, rqPendingActive: 0 },
      },
      healthyEndpoints: { [CLUSTERS.REVIEWS_V1]: 1, [CLUSTERS.REVIEWS_V2]: 0 },
    } satisfies EnvoyFigures);
  });

  it("counts a gateway's outbound_* listeners as its inbound side", () => {
    const figures = envoyFigures({
      stats: parseStats(STATS_TEXT),
      clusters: new Map(),
      readAt: 0,
      role: "gateway",
    });
    expect(figures.downstreamRqActive).toBe(5);
    expect(figures.healthyEndpoints).toEqual({});
  });
});

describe("lossRise", () => {
  const base = envoyFigures({ stats: parseStats(STATS_TEXT), clusters: new Map(), readAt: 0 });
  const bump = (d: { error?: number; fma?: number; dropped?: number }): EnvoyFigures => ({
    ...base,
    extAuthz: {
      ...base.extAuthz,
      error: base.extAuthz.error + (d.error ?? 0),
      failureModeAllowed: base.extAuthz.failureModeAllowed + (d.fma ?? 0),
    },
    accessLogs: { ...base.accessLogs, dropped: base.accessLogs.dropped + (d.dropped ?? 0) },
  });

  it("is zero on the first read and when nothing rose", () => {
    const zero = { extAuthzError: 0, extAuthzFailureModeAllowed: 0, accessLogsDropped: 0 };
    expect(lossRise(undefined, base)).toEqual(zero);
    expect(lossRise(base, base)).toEqual(zero);
  });

  it("reports each rise", () => {
    expect(lossRise(base, bump({ error: 2, fma: 2, dropped: 5 }))).toEqual({
      extAuthzError: 2,
      extAuthzFailureModeAllowed: 2,
      accessLogsDropped: 5,
    });
  });

  it("counts a reset counter's new value as a rise (Envoy restarted)", () => {
    const restarted: EnvoyFigures = { ...base, accessLogs: { written: 3, dropped: 1 } };
    expect(lossRise(bump({ dropped: 10 }), restarted).accessLogsDropped).toBe(1);
  });
});
