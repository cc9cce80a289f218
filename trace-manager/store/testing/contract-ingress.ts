import { expect, it } from "vitest";
import { T0, txn, type ContractHarness } from "./contract-support.js";
import { HISTOGRAM } from "../histogram.js";

/** Contract: ingress per upgrade and per-version statistics. */
export function ingressContract(h: ContractHarness): void {
  const { fresh, ingressStart } = h;

  it("tracks ingress per upgrade and completes with the transaction id only", async () => {
    const { store } = await fresh();
    const [a, b, c, d] = [txn(), txn(), txn(), txn()];
    await store.recordIngressStarts([ingressStart(a, { "up-1": true, "up-2": false })]);
    const firstNon = h.clk.now;
    h.clk.now += 11_000;
    await store.recordIngressStarts([
      ingressStart(b, { "up-1": false }),
      ingressStart(c, { "up-1": true }, "gw-b"),
      ingressStart(d, {}),
    ]);
    expect(await store.ingress("up-1")).toEqual({
      enrolledInFlight: 2,
      nonEnrolledInFlight: 1,
      lastNonEnrolledStartAt: h.clk.now,
      oldestInFlightStartAt: T0,
    });
    expect(await store.ingress("up-2")).toEqual({
      enrolledInFlight: 0,
      nonEnrolledInFlight: 1,
      lastNonEnrolledStartAt: firstNon,
      oldestInFlightStartAt: T0,
    });

    // A repeated start of an in-flight transaction is ignored.
    await store.recordIngressStarts([ingressStart(a, { "up-1": false })]);
    const done = await store.recordIngressEnds([
      { txn: a, gateway: "gw-a", at: h.clk.now, status: 200 },
      { txn: d, gateway: "gw-a", at: h.clk.now, status: 200 },
      { txn: txn(), gateway: "gw-a", at: h.clk.now, status: 200 },
    ]);
    expect(done).toEqual({ clamped: 1 });
    expect(await store.ingress("up-1")).toEqual({
      enrolledInFlight: 1,
      nonEnrolledInFlight: 1,
      lastNonEnrolledStartAt: h.clk.now,
      oldestInFlightStartAt: h.clk.now,
    });
    expect(await store.ingress("up-2")).toEqual({
      enrolledInFlight: 0,
      nonEnrolledInFlight: 0,
      lastNonEnrolledStartAt: firstNon,
      oldestInFlightStartAt: null,
    });
    expect(await store.recordIngressEnds([{ txn: a, gateway: "gw-a", at: h.clk.now, status: 200 }])).toEqual({
      clamped: 1,
    });
    expect(await store.ingress("up-9")).toEqual({
      enrolledInFlight: 0,
      nonEnrolledInFlight: 0,
      lastNonEnrolledStartAt: null,
      oldestInFlightStartAt: null,
    });
  });

  it("computes success rate and p99 over a window from a bounded histogram", async () => {
    const { store } = await fresh();
    const sample = (ms: number, ok: boolean, at: number) => ({
      service: "auth-service",
      version: "v2",
      at,
      ok,
      durationMs: ms,
    });
    await store.recordOutbound([sample(5_000, false, T0)]); // outside the later window
    h.clk.now += 10_000;
    const batch = Array.from({ length: 200 }, (_, i) => sample(i + 1, i % 10 !== 0, h.clk.now - 500 + i));
    await store.recordOutbound(batch);
    await store.recordOutbound([{ ...sample(1, true, h.clk.now), version: "v1" }]);

    const win = await store.versionStats("auth-service", "v2", h.clk.now - 1_000);
    expect(win.requests).toBe(200);
    expect(win.successes).toBe(180);
    expect(win.successRate).toBeCloseTo(0.9, 10);
    expect(win.p99Ms).toBeGreaterThanOrEqual(198);
    expect(win.p99Ms).toBeLessThanOrEqual(198 * HISTOGRAM.gamma);

    const all = await store.versionStats("auth-service", "v2", T0);
    expect(all.requests).toBe(201);
    expect(all.p99Ms).toBeGreaterThanOrEqual(199);
    expect(await store.versionStats("auth-service", "v3", T0)).toEqual({
      requests: 0,
      successes: 0,
      successRate: null,
      p99Ms: null,
    });
    expect((await store.versionStats("auth-service", "v1", T0)).requests).toBe(1);
  });
}
