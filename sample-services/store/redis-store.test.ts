import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRedis, type TestRedis } from "../../test/support/redis-server.js";
import { describeSampleStoreContract, testOrder } from "./testing/contract.js";
import { RedisSampleStore } from "./redis-store.js";

let redis: TestRedis;
const stores: RedisSampleStore[] = [];
let n = 0;

beforeAll(async () => {
  redis = await startTestRedis();
});

describeSampleStoreContract("redis", async () => {
  const clock = { now: Date.now() };
  // A fresh key prefix per test keeps tests independent on one server.
  const store = await RedisSampleStore.connect(redis.url, { keyPrefix: `t${n++}:`, now: () => clock.now });
  stores.push(store);
  return { store, clock };
});

afterAll(async () => {
  for (const s of stores) await s.close();
  await redis.stop();
});

describe("RedisSampleStore specifics", () => {
  it("expires tokens in Redis itself", async () => {
    const store = await RedisSampleStore.connect(redis.url, { keyPrefix: "ttl:" });
    stores.push(store);
    await store.putToken("t", {
      phone: "+15551110000",
      role: "user",
      issuedAtMs: 0,
      expiresAtMs: Date.now() + 50_000,
      issuer: "x",
    });
    const raw = new Redis(redis.url);
    const ttl = await raw.pttl("ttl:token:t");
    raw.disconnect();
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(50_000);
  });

  it("creates concurrent orders without overselling", async () => {
    const store = await RedisSampleStore.connect(redis.url, { keyPrefix: "race:" });
    stores.push(store);
    await store.putItem({ id: "a", name: "A", priceCents: 1, stock: 5 });
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        store.createOrder(testOrder(`o${i}`, { goods: [{ itemId: "a", quantity: 1, unitPriceCents: 1 }] })),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    expect((await store.getItem("a"))?.stock).toBe(0);
  });

  it("says which Redis it could not reach, without the password", async () => {
    const err: unknown = await RedisSampleStore.connect("redis://:s3cret@127.0.0.1:1").then(
      () => null,
      (e: unknown) => e,
    );
    if (!(err instanceof Error)) throw new Error("connect should have failed");
    expect(err.message).toMatch(/could not connect to Redis at redis:\/\/:\*\*\*@127.0.0.1:1/);
    expect(err.message).not.toContain("s3cret");
  });

  it("keeps every key in one hash slot by default (Redis Cluster runs the scripts)", async () => {
    const store = await RedisSampleStore.connect(redis.url);
    stores.push(store);
    await store.putItem({ id: "a", name: "A", priceCents: 1, stock: 5 });
    await store.createOrder(testOrder("o1", { goods: [{ itemId: "a", quantity: 1, unitPriceCents: 1 }] }));
    const raw = new Redis(redis.url);
    const keys = await raw.keys("{sample}:*");
    raw.disconnect();
    expect(keys.sort()).toEqual(
      ["item:a", "items", "order:o1", "orders-of:+15551110000", "orders-of:+15552220000", "stock"].map(
        (k) => `{sample}:${k}`,
      ),
    );
  });
});
