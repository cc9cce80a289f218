import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRedis, type TestRedis } from "../../test/support/redis-server.js";
import { TraceStoreError } from "./errors.js";
import type { CallStart, TraceId, TxnId } from "./port.js";
import { RedisTraceStore } from "./redis.js";
import { STORE_REDIS_OPTIONS } from "./redis-client.js";
import { Redis } from "ioredis";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis.stop();
});

const call = (now: number): CallStart => ({
  txn: randomUUID() as TxnId,
  traceId: randomBytes(16).toString("hex") as TraceId,
  service: "auth-service",
  version: "v1",
  pod: "auth-service-v1-0",
  at: now,
});

/** Retries `fn` until it resolves or `ms` pass (the client reconnects with a backoff). */
async function eventually<T>(fn: () => Promise<T>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe("RedisTraceStore against a failing server", () => {
  it("rejects with a clear error while Redis is down and works again after a restart", async () => {
    const now = Date.now();
    const store = new RedisTraceStore({
      redis: redis.url,
      keyPrefix: "fault",
      clock: () => now,
      readyWaitMs: 300,
    });
    await store.recordCallStarts([call(now)]);
    await redis.kill();

    const err = await store.recordCallStarts([call(now)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TraceStoreError);
    expect(err).toMatchObject({ kind: "unavailable", op: "recordCallStarts" });
    expect((err as Error).message).toMatch(
      /trace store: recordCallStarts: redis (127\.0\.0\.1:\d+ failed|is not connected)/,
    );
    await expect(store.activeAt("auth-service", "v1")).rejects.toMatchObject({ kind: "unavailable" });
    await expect(store.ping()).rejects.toBeInstanceOf(TraceStoreError);
    // Many calls waiting through an outage share one listener and all reject.
    const waiting = await Promise.allSettled(Array.from({ length: 50 }, () => store.ping()));
    expect(waiting.every((r) => r.status === "rejected")).toBe(true);
    expect(store.client.listenerCount("ready")).toBeLessThanOrEqual(1);

    await redis.start();
    // The restarted server is empty (no persistence) and has forgotten the scripts: EVALSHA falls back.
    await eventually(() => store.ping());
    await store.recordCallStarts([call(now), call(now)]);
    expect(await store.activeAt("auth-service", "v1")).toMatchObject({ calls: 2, transactions: 2 });
    await store.close();
  });

  it("rejects when the server hangs instead of waiting forever", async () => {
    const now = Date.now();
    const store = new RedisTraceStore({
      redis: { host: redis.host, port: redis.port, commandTimeout: 300 },
      keyPrefix: "hang",
      clock: () => now,
    });
    await store.ping();
    redis.pause();
    try {
      await expect(store.recordCallStarts([call(now)])).rejects.toMatchObject({ kind: "unavailable" });
    } finally {
      redis.resume();
    }
    await eventually(() => store.ping());
    await store.close();
  });

  it("connects a lazy caller-owned client on first use", async () => {
    const client = new Redis({
      ...STORE_REDIS_OPTIONS,
      host: redis.host,
      port: redis.port,
      lazyConnect: true,
    });
    client.on("error", () => undefined);
    const store = new RedisTraceStore({ redis: client, keyPrefix: "lazy" });
    await Promise.all([store.ping(), store.ping(), store.activeAt("auth-service", "v1")]);
    await store.close();
    client.disconnect();
  });

  it("keeps a caller-owned client open on close", async () => {
    const owner = new RedisTraceStore({ redis: redis.url, keyPrefix: "own" });
    const borrowed = new RedisTraceStore({ redis: owner.client, keyPrefix: "own" });
    await borrowed.ping();
    await borrowed.close();
    expect(owner.client.status).toBe("ready");
    await owner.ping();
    await owner.close();
    await expect(owner.ping()).rejects.toMatchObject({ kind: "closed" });
  });
});

describe("RedisTraceStore memory", () => {
  it("uses at most 200 bytes of Redis memory per active transaction", async () => {
    const now = Date.now();
    const store = new RedisTraceStore({ redis: redis.url, keyPrefix: "mem", clock: () => now });
    const used = async (): Promise<number> =>
      Number(/used_memory:(\d+)/.exec(await store.client.info("memory"))?.[1]);
    await store.ping();
    const before = await used();
    const n = 10_000;
    for (let i = 0; i < n; i += 1_000)
      await store.recordCallStarts(Array.from({ length: 1_000 }, () => call(now)));
    const after = await used();
    const keys = await store.client.keys("mem:*");
    let usage = 0;
    for (const k of keys) usage += Number(await store.client.memory("USAGE", k, "SAMPLES", "0"));
    // Both figures include the per-bucket overhead; INFO also counts the hash table's growth.
    expect(usage / n).toBeLessThanOrEqual(200);
    expect((after - before) / n).toBeLessThanOrEqual(200);
    // The queries scan the 10,000-record bucket in HSCAN pages.
    expect(await store.activeAt("auth-service", "v1")).toEqual({
      calls: n,
      transactions: n,
      oldestStartAt: now,
    });
    expect(await store.activeTransactions("auth-service", "v1", 5)).toHaveLength(5);
    await store.close();
  });
});
