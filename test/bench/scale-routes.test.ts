/**
 * The scale benchmark's route layouts: per-trace pinning grows by one route per id and user
 * route; Tranquil's door-open plan does not grow with the traces; its flipped plan packs the
 * ids into regex chunks; and every layout routes as it must in the evaluator.
 */
import { describe, expect, it } from "vitest";
import {
  activeIds,
  pinningLayout,
  requestFor,
  routeCount,
  routedTo,
  snapshotOf,
  tranquilLayout,
} from "../../bench/scale/route-growth.js";
import { benchControllerScale } from "../../bench/controller-scale.bench.js";

const USER_ROUTES = 2;

describe("scale: route growth", () => {
  it("per-trace pinning has ids × routes + routes routes", () => {
    for (const n of [0, 10, 1000]) {
      expect(routeCount(pinningLayout(activeIds(n)))).toBe(n * USER_ROUTES + USER_ROUTES);
    }
  });

  it("Tranquil's door-open plan has the same route count at 10 and 10,000 traces", () => {
    const doorOpen = { mode: "doorOpen", sentinel: true, pins: [] } as const;
    const small = routeCount(tranquilLayout("t", doorOpen));
    activeIds(10000);
    expect(routeCount(tranquilLayout("t", doorOpen))).toBe(small);
    expect(small).toBeLessThan(10);
  });

  it("Tranquil's flipped plan grows by one pin route per 27 UUIDs and user route", () => {
    const count = (n: number): number =>
      routeCount(tranquilLayout("t", { mode: "flipped", sentinel: true, pins: activeIds(n) }));
    expect(count(27 * 10) - count(27)).toBe(9 * USER_ROUTES);
  });

  it("pinned ids reach old and others new, in both layouts", () => {
    const ids = activeIds(300);
    for (const layout of [
      pinningLayout(ids),
      tranquilLayout("t", { mode: "flipped", sentinel: true, pins: ids }),
    ]) {
      const snapshot = snapshotOf(layout);
      expect(routedTo(snapshot, requestFor(ids[0]))).toBe("v1");
      expect(routedTo(snapshot, requestFor(ids[299]))).toBe("v1");
      expect(routedTo(snapshot, requestFor(activeIds(1)[0]))).toBe("v2");
      expect(routedTo(snapshot, requestFor(undefined))).toBe("v2");
    }
  });

  it("the quick bench reports a route count row per strategy and size", async () => {
    const rows = await benchControllerScale({ quick: true });
    const counts = rows.filter((r) => r.metric === "http routes");
    expect(counts).toHaveLength(6);
    expect(rows.filter((r) => r.metric.startsWith("pinned last")).every((r) => r.value === 1)).toBe(true);
  });
});
