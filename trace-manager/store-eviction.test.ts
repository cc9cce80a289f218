import { describe, it, expect, afterEach } from "vitest";
import { Redis } from "ioredis";
import { startTestRedis, type TestRedis } from "../test/support/redis-server.js";
import { RedisTraceStore } from "./store/redis.js";
import { startHarness, eventually, newTxnId, type Harness } from "./testing/harness.js";
import { checkRequest } from "./testing/envoy-messages.js";

const MAX_AGE_MS = 3_000;

/** Fills Redis with unrelated keys until it has evicted some. Returns how many it evicted. */
async function fillUntilEvicted(url: string): Promise<number> {
  const client = new Redis(url);
  try {
    const blob = "x".repeat(8 * 1024);
    for (let i = 0; i < 2_000; i++) {
      await client.set(`filler:${i}`, blob);
      if (i % 50 === 0) {
        const evicted = /evicted_keys:(\d+)/.exec(await client.info("stats"))?.[1];
        if (Number(evicted) > 0) return Number(evicted);
      }
    }
    throw new Error("Redis evicted nothing");
  } finally {
    client.disconnect();
  }
}

describe("a Redis that may evict records (G4)", () => {
  let redis: TestRedis | undefined;
  let store: RedisTraceStore | undefined;
  let h: Harness | undefined;

  afterEach(async () => {
    await h?.close();
    await store?.close();
    await redis?.stop();
    h = undefined;
    store = undefined;
    redis = undefined;
  });

  async function start(args: string[]): Promise<{ h: Harness; store: RedisTraceStore; redis: TestRedis }> {
    redis = await startTestRedis({ args });
    store = new RedisTraceStore({ redis: redis.url, readyWaitMs: 200 });
    h = await startHarness(
      { watermarkLagMs: 0, dirtyHoldMs: 100, maxTransactionAgeMs: MAX_AGE_MS },
      { store },
    );
    return { h, store, redis };
  }

  it("keeps the pod dirty while Redis has a memory limit and evicts, and flags the evictions as lost records", async () => {
    const t = await start(["--maxmemory", "2mb", "--maxmemory-policy", "allkeys-lru"]);
    const open = Array.from({ length: 30 }, newTxnId);
    await Promise.all(open.map((id) => t.h.check(checkRequest({ requestId: id }))));
    const first = await t.h.tm.heartbeat();
    // Dirty before any key is gone: a policy that may evict can drop records at any moment.
    expect(first.dirty).toBe(true);
    expect(first.dirtyReasons).toContain("store-may-evict");

    expect(await fillUntilEvicted(t.redis.url)).toBeGreaterThan(0);
    const after = await t.h.tm.heartbeat();
    expect(after.dirtyReasons).toEqual(expect.arrayContaining(["store-lost-records", "store-may-evict"]));
    expect(after.watermark).toBe(first.watermark);

    // The operator fixes the policy and frees memory: the ongoing reason goes, the loss stays held
    // for maxTransactionAge.
    const admin = new Redis(t.redis.url);
    await admin.config("SET", "maxmemory-policy", "noeviction");
    const fillers = await admin.keys("filler:*");
    if (fillers.length > 0) await admin.del(...fillers);
    admin.disconnect();
    const fixed = await t.h.tm.heartbeat();
    expect(fixed.dirtyReasons).toContain("store-lost-records");
    expect(fixed.dirtyReasons).not.toContain("store-may-evict");
    expect(fixed.heldUntil).toBeGreaterThan(fixed.heartbeatAt);
    await eventually(async () => !(await t.h.tm.heartbeat()).dirty, MAX_AGE_MS + 5_000, 100);
  });

  it("a memory limit with noeviction is clean: writes fail loudly instead", async () => {
    const t = await start(["--maxmemory", "2mb", "--maxmemory-policy", "noeviction"]);
    await t.h.check(checkRequest({ requestId: newTxnId() }));
    const report = await t.h.tm.heartbeat();
    expect(report.dirtyReasons).toEqual([]);
    expect((await t.store.integrity()).evictionPolicy).toBe("noeviction");
  });
});
