import { afterAll, beforeAll } from "vitest";
import { startTestRedis, type TestRedis } from "../../test/support/redis-server.js";
import { describeTraceStoreContract } from "./testing/contract.js";
import { RedisTraceStore } from "./redis.js";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis.stop();
});

let n = 0;
describeTraceStoreContract("redis", (options) => {
  const keyPrefix = `c${++n}`;
  const store = new RedisTraceStore({ ...options, redis: redis.url, keyPrefix });
  const twins: RedisTraceStore[] = [];
  return Promise.resolve({
    store,
    twin: () => {
      const twin = new RedisTraceStore({ ...options, redis: redis.url, keyPrefix });
      twins.push(twin);
      return Promise.resolve(twin);
    },
    cleanup: async () => {
      await Promise.all([store.close(), ...twins.map((t) => t.close())]);
    },
  });
});
