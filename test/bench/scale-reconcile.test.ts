/**
 * The scale benchmark's fleet on the local backend: the real reconciler drives every upgrade to
 * Draining (old held by its active transactions, as it must be), every port call is timed from
 * outside, and the rows say what was measured.
 */
import { describe, expect, it } from "vitest";
import { startFleet } from "../../bench/scale/local-fleet.js";
import { percentile, timed, type PortTimings } from "../../bench/scale/port-timing.js";
import { measureReconcileScale, reconcileRows } from "../../bench/scale/reconcile-scale.js";

describe("scale: reconcile cost of a fleet", () => {
  it("times every call of a wrapped port, sync and async", async () => {
    const timings: PortTimings = new Map();
    const port = timed(
      { a: () => Promise.resolve(1), b: () => 2, c: () => Promise.reject(new Error("x")) },
      "p",
      timings,
    );
    expect(await port.a()).toBe(1);
    expect(port.b()).toBe(2);
    await expect(port.c()).rejects.toThrow("x");
    expect(timings.get("p")?.calls).toBe(3);
  });

  it("takes nearest-rank percentiles", () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 99)).toBe(99);
    expect(percentile([], 50)).toBe(0);
  });

  it("drives every upgrade to Draining, where old's active transactions hold it", async () => {
    const fleet = await startFleet(3, 30);
    try {
      for (let r = 0; r < 25; r += 1) {
        await fleet.heartbeat();
        for (const k of fleet.keys) await fleet.reconciler.trigger(k);
      }
      expect(await fleet.phases()).toEqual({ Draining: 3 });
      expect(fleet.errors()).toBe(0);
      const active = await fleet.traceStore.activeAt("svc-000", "v1");
      expect(active.transactions).toBe(10);
      // Tranquil's routes are in the config store, beside the user's one route.
      const routes = fleet.configStore
        .list("VirtualService")
        .filter((vs) => vs.spec.hosts?.includes("svc-000"))
        .reduce((n, vs) => n + (vs.spec.http?.length ?? 0), 0);
      expect(routes).toBeGreaterThan(1);
    } finally {
      await fleet.close();
    }
  });

  it("runs on a Redis trace store as on the memory one", async () => {
    const s = await measureReconcileScale(2, 20, 2, 1, { store: "redis", warmRounds: 25 });
    expect(s.store).toBe("redis");
    expect(s.errors).toBe(0);
    expect(s.phases).toEqual({ Draining: 2 });
    expect(reconcileRows(s)[0]?.name).toBe("reconcile 2 upgrades @20 txns (redis)");
  });

  it("reports query, decision and write times for each reconcile", async () => {
    const s = await measureReconcileScale(2, 20, 5, 1);
    expect(s.reconciles).toBe(10);
    expect(s.queryMs.every((q) => q > 0)).toBe(true);
    expect(Object.keys(s.queryByPort).sort()).toEqual(["inventory", "router", "traceStore", "workloads"]);
    const rows = reconcileRows(s);
    expect(rows.find((r) => r.metric === "reconcile errors")?.value).toBe(0);
    expect(rows.find((r) => r.metric === "reconcile p99")?.value).toBeGreaterThan(0);
  });
});
