import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRedis, type TestRedis } from "../../test/support/redis-server.js";
import type { TxnId } from "./port.js";
import { RedisTraceStore } from "./redis.js";
import { runScript } from "./redis-exec.js";
import { RedisKeys } from "./redis-keys.js";
import { REGISTER_EVERY_MS } from "./redis-writes.js";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis.stop();
});

const MAX_AGE = 60_000;
const BUCKET = 10_000;

describe("RedisTraceStore key layout", () => {
  it("tags keys by service, bounds them with a TTL, and frees a bucket when swept", async () => {
    let now = Date.UTC(2026, 10, 22, 3, 0, 0);
    const store = new RedisTraceStore({
      redis: redis.url,
      keyPrefix: "layout",
      clock: () => now,
      maxTransactionAgeMs: MAX_AGE,
      bucketMs: BUCKET,
    });
    const txn = "0af7651b1c4d4e5f8a9b000000000001" as TxnId;
    await store.recordCallStarts([
      { txn, service: "auth-service", version: "v1", pod: "auth-v1-0", at: now },
    ]);
    await store.recordIngressStarts([{ txn, gateway: "gw", at: now, enrolments: [] }]);
    await store.recordOutbound([
      { service: "auth-service", version: "v1", at: now, ok: true, durationMs: 2 },
    ]);

    const keys = (await store.client.keys("layout:*")).sort();
    for (const k of keys.filter((k) => k.includes("{"))) expect(k).toMatch(/^layout:\{(auth-service|gw)\}:/);
    const bucket = keys.find((k) => k.includes(":c:"))!;
    const ttl = await store.client.pttl(bucket);
    // The bucket's expiry plus one maxAge for a sweeper to report it: never unbounded.
    expect(ttl).toBeGreaterThan(MAX_AGE);
    expect(ttl).toBeLessThanOrEqual(BUCKET + 2 * MAX_AGE);
    const stats = keys.find((k) => k.includes(":o:"))!;
    expect(await store.client.pttl(stats)).toBeGreaterThan(0);

    now += BUCKET + MAX_AGE;
    const swept = await store.sweep(now);
    expect(swept.map((e) => e.kind).sort()).toEqual(["call", "ingress"]);
    expect(await store.client.exists(bucket)).toBe(0);
    expect(await store.client.zcard("layout:{auth-service}:ci")).toBe(0);
    await store.close();
  });
});

describe("RedisTraceStore tag sets", () => {
  it("adds a service to its set with its first batch, and again every REGISTER_EVERY_MS", async () => {
    let now = Date.UTC(2026, 10, 22, 3, 0, 0);
    const store = new RedisTraceStore({
      redis: redis.url,
      keyPrefix: "sets",
      clock: () => now,
      maxTransactionAgeMs: MAX_AGE,
      bucketMs: BUCKET,
    });
    const start = (n: number) => ({
      txn: `0af7651b1c4d4e5f8a9b00000000000${n}` as TxnId,
      service: "auth-service",
      version: "v1",
      pod: "auth-v1-0",
      at: now,
    });
    await store.recordCallStarts([start(1)]);
    expect(await store.client.smembers("sets:services")).toEqual(["auth-service"]);
    // A Redis that lost the set (a flush, a restart without persistence) gets it back within
    // REGISTER_EVERY_MS; meanwhile the records themselves are written as always.
    await store.client.del("sets:services");
    now += REGISTER_EVERY_MS - 1;
    await store.recordCallStarts([start(2)]);
    expect(await store.client.smembers("sets:services")).toEqual([]);
    expect((await store.activeAt("auth-service", "v1")).calls).toBe(2);
    now += 1;
    await store.recordCallStarts([start(3)]);
    expect(await store.client.smembers("sets:services")).toEqual(["auth-service"]);
    await store.close();
  });
});

describe("RedisTraceStore with skewed writer clocks", () => {
  it("finds a record a writer up to one bucket ahead put in the next bucket", async () => {
    const behind = Date.UTC(2026, 10, 22, 3, 0, 0) + BUCKET - 200;
    const options = { redis: redis.url, keyPrefix: "skew", maxTransactionAgeMs: MAX_AGE, bucketMs: BUCKET };
    const fast = new RedisTraceStore({ ...options, clock: () => behind + 500 });
    const slow = new RedisTraceStore({ ...options, clock: () => behind });
    const txn = "0af7651b1c4d4e5f8a9b000000000002" as TxnId;
    const call = { txn, service: "auth-service", pod: "p-0", at: behind };
    await fast.recordCallStarts([{ ...call, version: "v1" }]);
    const { violations } = await slow.recordCallStarts([{ ...call, version: "v2" }]);
    expect(violations.map((v) => v.versions)).toEqual([["v1", "v2"]]);
    expect(await slow.recordCallEnds([{ ...call, version: "v1", status: 200, durationMs: 1 }])).toEqual({
      clamped: 0,
    });
    expect(await slow.activeAt("auth-service", "v2")).toMatchObject({ calls: 1, transactions: 1 });
    await Promise.all([fast.close(), slow.close()]);
  });
});

describe("RedisTraceStore sweeping", () => {
  it("finishes a claim left by a crashed sweeper once it is stale, reporting it once", async () => {
    let now = Date.UTC(2026, 10, 22, 3, 0, 0);
    const options = { redis: redis.url, keyPrefix: "crash", maxTransactionAgeMs: MAX_AGE, bucketMs: BUCKET };
    const store = new RedisTraceStore({ ...options, clock: () => now });
    const txn = "0af7651b1c4d4e5f8a9b000000000003" as TxnId;
    await store.recordCallStarts([{ txn, service: "auth-service", version: "v1", pod: "p-0", at: now }]);
    const b = Math.floor(now / BUCKET);
    now += BUCKET + MAX_AGE;

    // A sweeper claims the bucket and dies before finishing.
    const keys = new RedisKeys("crash");
    const claim = [keys.callBucket("auth-service", b), keys.claimed("auth-service", "c", b)];
    const claimKeys = [...claim, keys.callIndex("auth-service"), keys.claims("auth-service")];
    expect(await runScript(store.client, "tranquilSweepClaim", claimKeys, [b, `c:${b}`, now])).toBe(1);

    expect(await store.sweep(now)).toEqual([]);
    expect(await store.activeAt("auth-service", "v1")).toMatchObject({ calls: 0 });
    now += 60_000;
    const [mine, theirs] = await Promise.all([store.sweep(now), store.sweep(now)]);
    expect([...mine, ...theirs].map((e) => e.txn)).toEqual([txn]);
    expect(await store.sweep(now)).toEqual([]);
    expect((await store.expiries()).total).toBe(1);
    expect(await store.client.exists(claim[1]!)).toBe(0);
    await store.close();
  });
});
