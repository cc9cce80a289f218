import { afterAll, beforeAll } from "vitest";
import { startTestCluster, type TestCluster } from "../../test/support/redis-cluster.js";
import { describeTraceStoreContract } from "./testing/contract.js";
import { RedisTraceStore } from "./redis.js";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startTestCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

let n = 0;
describeTraceStoreContract("redis cluster", (options) => {
  const keyPrefix = `c${++n}`;
  const store = new RedisTraceStore({ ...options, redis: cluster.url, keyPrefix });
  const twins: RedisTraceStore[] = [];
  return Promise.resolve({
    store,
    twin: () => {
      const twin = new RedisTraceStore({ ...options, redis: cluster.url, keyPrefix });
      twins.push(twin);
      return Promise.resolve(twin);
    },
    cleanup: async () => {
      await Promise.all([store.close(), ...twins.map((t) => t.close())]);
    },
  });
});
