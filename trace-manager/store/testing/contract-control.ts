import { expect, it } from "vitest";
import { BUCKET, MAX_AGE, T0, txn, type ContractHarness } from "./contract-support.js";
import { TraceStoreError } from "../errors.js";
import type { PodReport, TxnId } from "../port.js";

/** Contract: upgrades, pod reports, expiry, refused names, closing. */
export function controlContract(h: ContractHarness): void {
  const { fresh, start, end, ingressStart } = h;

  it("stores the controller's explicit weightVersion and ignores a stale write", async () => {
    const { store } = await fresh();
    const up = { id: "up-2", hosts: ["auth-service"], watchEpochs: true, at: h.clk.now };
    expect((await store.putUpgrade({ ...up, weight: 0, weightVersion: 0 })).weightVersion).toBe(0);
    expect(await store.putUpgrade({ ...up, weight: 10, weightVersion: 1 })).toMatchObject({
      weight: 10,
      weightVersion: 1,
    });
    expect(await store.putUpgrade({ ...up, weight: 100, weightVersion: 3 })).toMatchObject({
      weight: 100,
      weightVersion: 3,
    });
    // A retried older action (version 1) must not revert the newer weight.
    expect(await store.putUpgrade({ ...up, weight: 10, weightVersion: 1 })).toMatchObject({
      weight: 100,
      weightVersion: 3,
    });
    // Re-writing the current version is idempotent.
    expect(await store.putUpgrade({ ...up, weight: 100, weightVersion: 3 })).toMatchObject({
      weightVersion: 3,
    });
    expect((await store.listUpgrades()).map((u) => [u.id, u.weight, u.weightVersion])).toEqual([
      ["up-2", 100, 3],
    ]);
    await expect(store.putUpgrade({ ...up, weight: 10, weightVersion: -1 })).rejects.toMatchObject({
      kind: "invalid-argument",
    });
  });

  it("bumps weightVersion only when the weight changes", async () => {
    const { store } = await fresh();
    const up = { id: "up-1", hosts: ["auth-service"], weight: 10, watchEpochs: false, at: h.clk.now };
    expect(await store.putUpgrade(up)).toEqual({
      id: "up-1",
      hosts: ["auth-service"],
      weight: 10,
      weightVersion: 1,
      watchEpochs: false,
      updatedAt: h.clk.now,
    });
    expect(
      (await store.putUpgrade({ ...up, hosts: ["auth-service", "order-service"], watchEpochs: true }))
        .weightVersion,
    ).toBe(1);
    expect((await store.putUpgrade({ ...up, weight: 50, at: h.clk.now + 1 })).weightVersion).toBe(2);
    await store.putUpgrade({ id: "up-0", hosts: [], weight: 0, watchEpochs: false, at: h.clk.now });
    const listed = await store.listUpgrades();
    expect(listed.map((u) => [u.id, u.weight, u.weightVersion])).toEqual([
      ["up-0", 0, 1],
      ["up-1", 50, 2],
    ]);
    expect(listed[0]?.hosts).toEqual([]);
    await store.removeUpgrade("up-0");
    await store.removeUpgrade("up-0");
    expect((await store.listUpgrades()).map((u) => u.id)).toEqual(["up-1"]);
    await expect(store.putUpgrade({ ...up, weight: 101 })).rejects.toMatchObject({
      kind: "invalid-argument",
    });
  });

  it("round-trips pod reports and forgets stale pods", async () => {
    const { store } = await fresh();
    const report = (pod: string, heartbeatAt: number): PodReport => ({
      pod,
      role: "sidecar",
      service: "auth-service",
      version: "v1",
      heartbeatAt,
      watermark: heartbeatAt - 10,
      dirty: pod.endsWith("1"),
      dirtyReasons: pod.endsWith("1") ? ["store-outage"] : [],
      weightVersions: {},
      epochs: { "up-1": 3, "up-2": null },
      envoy: {
        readAt: heartbeatAt,
        extAuthz: { ok: 10, error: 0, denied: 0, failureModeAllowed: 0 },
        accessLogs: { written: 9, dropped: 0 },
        downstreamRqActive: 2,
        upstream: { "outbound|80|v1|order-service": { rqActive: 1, rqPendingActive: 0 } },
        healthyEndpoints: { "outbound|80|v1|order-service": 2 },
      },
    });
    await store.reportPod(report("auth-1", h.clk.now - 5_000));
    await store.reportPod(report("auth-2", h.clk.now - 5_000));
    await store.reportPod(report("auth-2", h.clk.now));
    expect(await store.pods()).toEqual([report("auth-1", h.clk.now - 5_000), report("auth-2", h.clk.now)]);
    expect(await store.forgetPods(h.clk.now - 1_000)).toBe(1);
    expect((await store.pods()).map((p) => p.pod)).toEqual(["auth-2"]);
    expect(await store.forgetPods(h.clk.now - 1_000)).toBe(0);
  });

  it("expires whole buckets past maxTransactionAge and reports every active record once", async () => {
    const { store, twin } = await fresh();
    const other = await twin();
    const [a, b, c, g] = [txn(), txn(), txn(), txn()];
    await store.recordCallStarts([
      start(a, "v1"),
      start(b, "v1"),
      start(a, "v2", h.clk.now, "order-service"),
    ]);
    await store.recordCallEnds([end(b, "v1")]);
    await store.recordIngressStarts([ingressStart(g, { "up-1": false })]);
    h.clk.now += 5_000;
    await store.recordCallStarts([start(c, "v1")]);

    // Still alive just before the first bucket's end + maxAge.
    h.clk.now = T0 + BUCKET + MAX_AGE - 1;
    expect(await store.sweep(h.clk.now)).toEqual([]);
    expect((await store.activeAt("auth-service", "v1")).transactions).toBe(2);

    h.clk.now = T0 + BUCKET + MAX_AGE;
    expect((await store.activeAt("auth-service", "v1")).transactions).toBe(0);
    expect((await store.ingress("up-1")).nonEnrolledInFlight).toBe(0);
    // Two sweepers racing report each expiry once between them.
    const [mine, theirs] = await Promise.all([store.sweep(h.clk.now), other.sweep(h.clk.now)]);
    const swept = [...mine, ...theirs];
    const key = (e: { kind: string; txn: string; where: string }) => `${e.kind} ${e.where} ${e.txn}`;
    expect(swept.map(key).sort()).toEqual(
      [
        `call auth-service@v1 ${a}`,
        `call order-service@v2 ${a}`,
        `call auth-service@v1 ${c}`,
        `ingress gw-a ${g}`,
      ].sort(),
    );
    expect(swept.every((e) => e.expiredAt === h.clk.now && e.startedAt <= T0 + 5_000)).toBe(true);
    expect(await store.sweep(h.clk.now)).toEqual([]);
    const exp = await store.expiries();
    expect(exp.total).toBe(4);
    expect(exp.recent.map(key).sort()).toEqual(swept.map(key).sort());
    // The end of an expired call is clamped: the record is gone.
    expect(await store.recordCallEnds([end(a, "v1")])).toEqual({ clamped: 1 });
    // The transaction's membership expired too: it can enter another version without a violation.
    expect((await store.recordCallStarts([start(a, "v2")])).violations).toEqual([]);
  });

  it("refuses names that are not DNS labels, writing nothing from the batch", async () => {
    const { store } = await fresh();
    const a = txn();
    const bad = { ...start(a, "v1"), service: "Auth_Service" };
    await expect(store.recordCallStarts([start(a, "v1"), bad])).rejects.toBeInstanceOf(TraceStoreError);
    await expect(store.recordCallStarts([{ ...start(a, "v1"), version: "v1:x" }])).rejects.toMatchObject({
      kind: "invalid-name",
    });
    await expect(store.recordCallStarts([{ ...start(a, "v1"), txn: "a|b" as TxnId }])).rejects.toMatchObject({
      kind: "invalid-name",
    });
    await expect(store.recordIngressStarts([ingressStart(a, { "UP{1}": true })])).rejects.toMatchObject({
      kind: "invalid-name",
    });
    await expect(store.activeAt("auth-service", "{v1}")).rejects.toMatchObject({ kind: "invalid-name" });
    expect(await store.activeAt("auth-service", "v1")).toEqual({
      calls: 0,
      transactions: 0,
      oldestStartAt: null,
    });
  });

  it("answers ping and refuses calls once closed", async () => {
    const { store } = await fresh();
    await store.ping();
    await store.close();
    await expect(store.ping()).rejects.toMatchObject({ kind: "closed" });
  });
}
