import { expect, it } from "vitest";
import { BUCKET, RECENT, T0, trace, txn, type ContractHarness } from "./contract-support.js";

/** Contract: active calls, clamping, the pin list, trace ids, times, violations. */
export function callContract(h: ContractHarness): void {
  const { fresh, start, end } = h;

  it("counts active calls and transactions with the oldest start", async () => {
    const { store } = await fresh();
    const [a, b] = [txn(), txn()];
    await store.recordCallStarts([start(a, "v1", T0 - 5)]);
    h.clk.now += 1_500;
    await store.recordCallStarts([
      start(b, "v1"),
      start(b, "v1"),
      start(a, "v2", h.clk.now, "order-service"),
    ]);
    expect(await store.activeAt("auth-service", "v1")).toEqual({
      calls: 3,
      transactions: 2,
      oldestStartAt: T0 - 5,
    });
    expect(await store.activeAt("order-service", "v2")).toEqual({
      calls: 1,
      transactions: 1,
      oldestStartAt: h.clk.now,
    });
    expect(await store.activeAt("auth-service", "v2")).toEqual({
      calls: 0,
      transactions: 0,
      oldestStartAt: null,
    });

    expect(await store.recordCallEnds([end(b, "v1"), end(a, "v1")])).toEqual({ clamped: 0 });
    expect(await store.activeAt("auth-service", "v1")).toEqual({
      calls: 1,
      transactions: 1,
      oldestStartAt: h.clk.now,
    });
    expect(await store.recordCallEnds([end(b, "v1")])).toEqual({ clamped: 0 });
    expect(await store.activeAt("auth-service", "v1")).toEqual({
      calls: 0,
      transactions: 0,
      oldestStartAt: null,
    });

    // The oldest start comes from the oldest bucket, whatever newer buckets hold.
    const [c, d] = [txn(), txn()];
    await store.recordCallStarts([start(c, "v1")]);
    const cAt = h.clk.now;
    h.clk.now += 2 * BUCKET;
    await store.recordCallStarts([start(d, "v1")]);
    expect(await store.activeAt("auth-service", "v1")).toEqual({
      calls: 2,
      transactions: 2,
      oldestStartAt: cAt,
    });
    await store.recordCallEnds([end(c, "v1")]);
    expect(await store.activeAt("auth-service", "v1")).toEqual({
      calls: 1,
      transactions: 1,
      oldestStartAt: h.clk.now,
    });
  });

  it("clamps a decrement at zero and counts it", async () => {
    const { store } = await fresh();
    const [a, b] = [txn(), txn()];
    expect(await store.recordCallEnds([end(a, "v1")])).toEqual({ clamped: 1 });
    await store.recordCallStarts([start(b, "v1")]);
    expect(await store.recordCallEnds([end(b, "v1"), end(b, "v1"), end(b, "v2")])).toEqual({ clamped: 2 });
    expect(await store.activeAt("auth-service", "v1")).toEqual({
      calls: 0,
      transactions: 0,
      oldestStartAt: null,
    });
    // The clamped end was kept as an early end: its late start cancels it (ADR 0086).
    await store.recordCallStarts([start(a, "v1")]);
    expect((await store.activeAt("auth-service", "v1")).calls).toBe(0);
  });

  it("lists active transactions for pins, oldest first, bounded by the limit", async () => {
    const { store } = await fresh();
    const [a, b, c] = [txn(), txn(), txn()];
    await store.recordCallStarts([start(a, "v1")]);
    h.clk.now += 12_000; // the next bucket
    const { traceId: _none, ...cAtV2 } = start(c, "v2");
    await store.recordCallStarts([start(b, "v1"), start(c, "v1"), cAtV2]);
    h.clk.now += 100;
    await store.recordCallStarts([start(a, "v1")]);
    h.clk.now += 100;
    await store.recordCallEnds([end(a, "v1"), end(c, "v1")]);

    const list = await store.activeTransactions("auth-service", "v1", 10);
    expect(list).toEqual([
      { txn: a, traceId: trace, startedAt: T0, lastSeenAt: h.clk.now, calls: 1 },
      { txn: b, traceId: trace, startedAt: T0 + 12_000, lastSeenAt: T0 + 12_000, calls: 1 },
    ]);
    expect(await store.activeTransactions("auth-service", "v1", 1)).toEqual([list[0]]);
    const v2 = await store.activeTransactions("auth-service", "v2", 10);
    expect(v2).toEqual([
      { txn: c, traceId: trace, startedAt: T0 + 12_000, lastSeenAt: T0 + 12_000, calls: 1 },
    ]);
  });

  it("keeps a trace id absent when no hop saw one", async () => {
    const { store } = await fresh();
    const a = txn();
    const { traceId: _omit, ...bare } = start(a, "v1");
    await store.recordCallStarts([bare]);
    expect(await store.activeTransactions("auth-service", "v1", 5)).toEqual([
      { txn: a, startedAt: T0, lastSeenAt: T0, calls: 1 },
    ]);
  });

  it("forgets the trace id once nothing is active, and takes the next one", async () => {
    const { store } = await fresh();
    const [a, b] = [txn(), txn()];
    const { traceId: _omit, ...bare } = start(a, "v1");
    await store.recordCallStarts([start(a, "v1"), start(b, "v1"), start(b, "v2")]);
    await store.recordCallEnds([end(a, "v1"), end(b, "v1")]);
    await store.recordCallStarts([bare, { ...bare, txn: b }]);
    expect(await store.activeTransactions("auth-service", "v1", 5)).toEqual(
      [
        { txn: a, startedAt: T0, lastSeenAt: T0, calls: 1 },
        { txn: b, traceId: trace, startedAt: T0, lastSeenAt: T0, calls: 1 },
      ].sort((x, y) => (x.txn < y.txn ? -1 : 1)),
    );
    await store.recordCallStarts([start(a, "v1")]);
    expect((await store.activeTransactions("auth-service", "v1", 5)).every((t) => t.traceId === trace)).toBe(
      true,
    );
  });

  it("keeps times in whole milliseconds", async () => {
    const { store } = await fresh();
    const a = txn();
    await store.recordCallStarts([start(a, "v1", T0 + 0.75)]);
    await store.recordCallEnds([end(a, "v1", T0 + 2.5)]);
    await store.recordCallStarts([start(a, "v1", T0 + 1.5)]);
    expect(await store.activeTransactions("auth-service", "v1", 1)).toEqual([
      { txn: a, traceId: trace, startedAt: T0, lastSeenAt: T0 + 2, calls: 1 },
    ]);
    const { violations } = await store.recordCallStarts([start(a, "v2", T0 + 3.9)]);
    expect(violations.map((v) => v.at)).toEqual([T0 + 3]);
  });

  it("detects a violation once per transaction and service, even after the first call ended", async () => {
    const { store } = await fresh();
    const [a, b] = [txn(), txn()];
    await store.recordCallStarts([start(a, "v1"), start(b, "v1")]);
    await store.recordCallEnds([end(a, "v1")]);
    h.clk.now += 15_000;
    const first = await store.recordCallStarts([start(a, "v2"), start(b, "v1")]);
    expect(first.violations).toEqual([
      { txn: a, service: "auth-service", versions: ["v1", "v2"], at: h.clk.now },
    ]);
    const again = await store.recordCallStarts([
      start(a, "v3"),
      start(a, "v2"),
      start(a, "v1", h.clk.now, "order-service"),
    ]);
    expect(again.violations).toEqual([]);
    const second = await store.recordCallStarts([start(a, "v2", h.clk.now, "order-service")]);
    expect(second.violations).toEqual([
      { txn: a, service: "order-service", versions: ["v1", "v2"], at: h.clk.now },
    ]);
    const all = await store.violations();
    expect(all.total).toBe(2);
    expect(all.recent).toHaveLength(2);
    expect(all.recent.map((v) => v.service).sort()).toEqual(["auth-service", "order-service"]);
    // The violating transaction is active at both versions.
    expect((await store.activeAt("auth-service", "v2")).transactions).toBe(1);
  });

  it("reports a batch's violations in batch order", async () => {
    const { store } = await fresh();
    const [a, b, c] = [txn(), txn(), txn()];
    await store.recordCallStarts([start(a, "v1"), start(b, "v1", h.clk.now, "order-service")]);
    const { violations } = await store.recordCallStarts([
      start(c, "v1"),
      start(b, "v2", h.clk.now, "order-service"),
      start(a, "v2"),
    ]);
    expect(violations.map((v) => [v.txn, v.service])).toEqual([
      [b, "order-service"],
      [a, "auth-service"],
    ]);
  });

  it("detects each violation exactly once when two pods race", async () => {
    const { store, twin } = await fresh();
    const other = await twin();
    const ids = Array.from({ length: 40 }, () => txn());
    const [fromA, fromB] = await Promise.all([
      store.recordCallStarts(ids.map((t) => start(t, "v1"))),
      other.recordCallStarts(ids.map((t) => start(t, "v2"))),
    ]);
    const seen = [...fromA.violations, ...fromB.violations].map((v) => v.txn).sort();
    expect(seen).toEqual([...ids].sort());
    expect((await store.violations()).total).toBe(40);
    expect((await store.violations()).recent).toHaveLength(RECENT);
    expect(await store.activeAt("auth-service", "v1")).toMatchObject({ calls: 40, transactions: 40 });
    expect(await other.activeAt("auth-service", "v2")).toMatchObject({ calls: 40, transactions: 40 });
  });
}
