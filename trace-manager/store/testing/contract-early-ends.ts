import { expect, it } from "vitest";
import { EARLY_ENDS } from "../memory-table.js";
import type { IngressEnd, TxnId } from "../port.js";
import { BUCKET, MAX_AGE, T0, txn, type ContractHarness } from "./contract-support.js";

const IDLE = { calls: 0, transactions: 0, oldestStartAt: null } as const;

/**
 * Contract: ends written before their starts (ADR 0086). After a store outage each writer retries
 * on its own, so an end can land before its start; it is kept as an early end and cancelled by
 * the start, so that no phantom active call or in-flight transaction remains.
 */
export function earlyEndContract(h: ContractHarness): void {
  const { fresh, start, end, ingressStart } = h;
  const ingressEnd = (t: TxnId, at: number, gateway = "gw-a"): IngressEnd => ({
    txn: t,
    gateway,
    at,
    status: 200,
  });

  it("cancels call ends written before their starts: no phantom active call, nothing expires", async () => {
    const { store } = await fresh();
    const ids = Array.from({ length: 6 }, () => txn());
    // The calls ran at T0 + 1 s; their ends reached the store 30 s later, before their starts.
    h.clk.now = T0 + 30_000;
    expect(await store.recordCallEnds(ids.map((t, i) => end(t, "v1", T0 + 1_000 + i)))).toEqual({
      clamped: 6,
    });
    expect(await store.activeAt("auth-service", "v1")).toEqual(IDLE);
    h.clk.now += 500;
    const starts = ids.map((t, i) => start(t, "v1", T0 + 900 + i));
    expect(await store.recordCallStarts(starts)).toEqual({ violations: [] });
    expect(await store.activeAt("auth-service", "v1")).toEqual(IDLE);
    expect(await store.activeTransactions("auth-service", "v1", 10)).toEqual([]);

    // In order, a call counts and ends as always, next to the reconciled ones.
    const c = txn();
    await store.recordCallStarts([start(c, "v1")]);
    expect(await store.activeAt("auth-service", "v1")).toEqual({
      calls: 1,
      transactions: 1,
      oldestStartAt: h.clk.now,
    });
    expect(await store.recordCallEnds([end(c, "v1")])).toEqual({ clamped: 0 });
    expect(await store.activeAt("auth-service", "v1")).toEqual(IDLE);

    // Nothing was left active, so nothing is lost when the buckets expire.
    h.clk.now += MAX_AGE + 2 * BUCKET;
    expect(await store.sweep(h.clk.now)).toEqual([]);
    expect((await store.expiries()).total).toBe(0);
  });

  it("pairs each start with one early end of its transaction, whatever order the starts come in", async () => {
    const { store } = await fresh();
    const a = txn();
    h.clk.now = T0 + 20_000;
    // Two calls of one transaction at one version, [1 s, 2 s] and [5 s, 6 s], and one at a second
    // service; every end first, then the starts, the later one first.
    const ends = [
      end(a, "v1", T0 + 2_000),
      end(a, "v1", T0 + 6_000),
      end(a, "v1", T0 + 3_000, "order-service"),
    ];
    expect(await store.recordCallEnds(ends)).toEqual({ clamped: 3 });
    await store.recordCallStarts([start(a, "v1", T0 + 5_000)]);
    await store.recordCallStarts([start(a, "v1", T0 + 1_000), start(a, "v1", T0 + 2_500, "order-service")]);
    expect(await store.activeAt("auth-service", "v1")).toEqual(IDLE);
    expect(await store.activeAt("order-service", "v1")).toEqual(IDLE);
    // A third start has no end to cancel: it is a call in progress.
    await store.recordCallStarts([start(a, "v1")]);
    expect(await store.activeAt("auth-service", "v1")).toMatchObject({ calls: 1, transactions: 1 });
    expect(await store.recordCallEnds([end(a, "v1")])).toEqual({ clamped: 0 });
    expect(await store.activeAt("auth-service", "v1")).toEqual(IDLE);
  });

  it("does not let a repeated end hide a later call, but cancels a start within the slack", async () => {
    const { store } = await fresh();
    const [a, b] = [txn(), txn()];
    await store.recordCallStarts([start(a, "v1")]);
    expect(await store.recordCallEnds([end(a, "v1", T0 + 100)])).toEqual({ clamped: 0 });
    // The same end again (a retried batch the store had applied): kept, harmless.
    expect(await store.recordCallEnds([end(a, "v1", T0 + 100)])).toEqual({ clamped: 1 });
    expect(await store.activeAt("auth-service", "v1")).toEqual(IDLE);
    // A new call of the transaction starts well after that end: it is active.
    h.clk.now = T0 + 100 + EARLY_ENDS.slackMs + 1;
    await store.recordCallStarts([start(a, "v1")]);
    expect(await store.activeAt("auth-service", "v1")).toMatchObject({ calls: 1, transactions: 1 });
    expect((await store.activeTransactions("auth-service", "v1", 5)).map((t) => t.txn)).toEqual([a]);
    expect(await store.recordCallEnds([end(a, "v1")])).toEqual({ clamped: 0 });
    expect(await store.activeAt("auth-service", "v1")).toEqual(IDLE);

    // A start up to the slack after an early end is that end's call.
    expect(await store.recordCallEnds([end(b, "v1", T0 + 5_000)])).toEqual({ clamped: 1 });
    await store.recordCallStarts([start(b, "v1", T0 + 5_000 + EARLY_ENDS.slackMs)]);
    expect(await store.activeAt("auth-service", "v1")).toEqual(IDLE);
  });

  it("detects a violation across early ends once, listing versions in start order", async () => {
    const { store } = await fresh();
    const a = txn();
    h.clk.now = T0 + 10_000;
    expect(await store.recordCallEnds([end(a, "v1", T0 + 50)])).toEqual({ clamped: 1 });
    // An end alone does not make a version seen: the start of v2 is the only start so far.
    expect(await store.recordCallStarts([start(a, "v2", T0 + 100)])).toEqual({ violations: [] });
    const late = await store.recordCallStarts([start(a, "v1", T0 + 10)]);
    expect(late.violations).toEqual([
      { txn: a, service: "auth-service", versions: ["v2", "v1"], at: T0 + 10 },
    ]);
    expect(await store.activeAt("auth-service", "v1")).toEqual(IDLE);
    expect(await store.activeAt("auth-service", "v2")).toEqual({
      calls: 1,
      transactions: 1,
      oldestStartAt: T0 + 100,
    });
    expect((await store.recordCallStarts([start(a, "v3")])).violations).toEqual([]);
    expect((await store.violations()).total).toBe(1);
  });

  it("keeps an early end in the live bucket of its time and forgets it when that bucket expires", async () => {
    const { store } = await fresh();
    const [a, b, c, d] = [txn(), txn(), txn(), txn()];
    h.clk.now = T0 + 35_000;
    expect(await store.recordCallEnds([end(a, "v1", T0 + 5_000), end(b, "v1", T0 + 5_000)])).toEqual({
      clamped: 2,
    });
    // The bucket of T0 + 5 s expires at T0 + 10 s + maxAge, not maxAge after the write.
    h.clk.now = T0 + BUCKET + MAX_AGE - 1;
    await store.recordCallStarts([start(b, "v1", T0 + 4_000)]);
    expect(await store.activeAt("auth-service", "v1")).toEqual(IDLE);
    h.clk.now = T0 + BUCKET + MAX_AGE;
    await store.recordCallStarts([start(a, "v1", T0 + 4_000)]);
    expect(await store.activeAt("auth-service", "v1")).toMatchObject({ calls: 1, transactions: 1 });
    // An end older than every live bucket goes in the oldest live one.
    expect(await store.recordCallEnds([end(c, "v1", T0 + 1_000), end(d, "v1", T0 + 1_000)])).toEqual({
      clamped: 2,
    });
    h.clk.now = T0 + 2 * BUCKET + MAX_AGE - 1;
    await store.recordCallStarts([start(c, "v1", T0 + 900)]);
    h.clk.now = T0 + 2 * BUCKET + MAX_AGE;
    await store.recordCallStarts([start(d, "v1", T0 + 900)]);
    expect((await store.activeTransactions("auth-service", "v1", 5)).map((t) => t.txn).sort()).toEqual(
      [a, d].sort(),
    );
    // Expired early ends are not active records: the sweep reports none of them.
    expect(await store.sweep(h.clk.now)).toEqual([]);
  });

  it("cancels ingress completions written before their starts, and ignores repeated ones", async () => {
    const { store } = await fresh();
    const [a, b, c] = [txn(), txn(), txn()];
    h.clk.now = T0 + 20_000;
    expect(await store.recordIngressEnds([ingressEnd(a, T0 + 1_000), ingressEnd(b, T0 + 1_000)])).toEqual({
      clamped: 2,
    });
    expect(await store.recordIngressEnds([ingressEnd(a, T0 + 1_000)])).toEqual({ clamped: 1 });
    await store.recordIngressStarts([
      { ...ingressStart(a, { "up-1": true }), at: T0 + 500 },
      { ...ingressStart(b, { "up-1": false }), at: T0 + 600 },
    ]);
    // Never in flight; the non-enrolled start still happened.
    expect(await store.ingress("up-1")).toEqual({
      enrolledInFlight: 0,
      nonEnrolledInFlight: 0,
      lastNonEnrolledStartAt: T0 + 600,
      oldestInFlightStartAt: null,
    });
    // A start well after an early end is another transaction: in flight until its own end.
    expect(await store.recordIngressEnds([ingressEnd(c, T0 + 1_000)])).toEqual({ clamped: 1 });
    await store.recordIngressStarts([ingressStart(c, { "up-1": true })]);
    expect(await store.ingress("up-1")).toMatchObject({
      enrolledInFlight: 1,
      oldestInFlightStartAt: h.clk.now,
    });
    expect(await store.recordIngressEnds([ingressEnd(c, h.clk.now)])).toEqual({ clamped: 0 });
    expect(await store.ingress("up-1")).toMatchObject({ enrolledInFlight: 0, nonEnrolledInFlight: 0 });
    // An early end no start came for expires unreported.
    await store.recordIngressEnds([ingressEnd(txn(), h.clk.now)]);
    h.clk.now += MAX_AGE + 2 * BUCKET;
    expect(await store.sweep(h.clk.now)).toEqual([]);
    expect((await store.expiries()).total).toBe(0);
  });
}
