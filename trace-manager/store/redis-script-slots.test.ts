import { createHash } from "node:crypto";
import calculateSlot from "cluster-key-slot";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestRedis, type TestRedis } from "../../test/support/redis-server.js";
import { describeTraceStoreContract } from "./testing/contract.js";
import { RedisTraceStore } from "./redis.js";
import { SCRIPTS } from "./redis-scripts/index.js";
import { callScript } from "./redis-exec.js";

/**
 * Every script call the store builds touches the keys of one hash slot (a Redis Cluster refuses
 * any other, ADR 0092): the whole store contract runs on one Redis while MONITOR records every
 * EVALSHA / EVAL it receives, and the last test checks each call's KEYS.
 */
let redis: TestRedis;
let monitor: Redis;
const calls: { name: string; keys: string[] }[] = [];
const nameBySha = new Map(
  Object.entries(SCRIPTS).map(([name, lua]) => [createHash("sha1").update(lua).digest("hex"), name]),
);

beforeAll(async () => {
  redis = await startTestRedis();
  monitor = await new Redis(redis.url).monitor();
  monitor.on("monitor", (_time: string, args: string[]) => {
    const [cmd = "", body = "", numkeys = "0", ...rest] = args;
    const c = cmd.toLowerCase();
    if (c !== "evalsha" && c !== "eval") return;
    // MONITOR shows an EVAL's script escaped: only EVALSHA names the script (each is sent so first).
    const name = c === "eval" ? "(eval)" : (nameBySha.get(body) ?? `unknown ${body}`);
    calls.push({ name, keys: rest.slice(0, Number(numkeys)) });
  });
});
afterAll(async () => {
  monitor?.disconnect();
  await redis?.stop();
});

let n = 0;
describeTraceStoreContract("redis, every script call recorded", (options) => {
  const keyPrefix = `s${++n}`;
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

it("ran every script of the store, each call with the keys of one hash slot", async () => {
  // MONITOR lags the replies a little.
  await new Promise((r) => setTimeout(r, 200));
  const named = new Set(calls.map((c) => c.name));
  named.delete("(eval)");
  expect(named).toEqual(new Set(Object.keys(SCRIPTS)));
  const crossing = calls.filter((c) => new Set(c.keys.map((k) => calculateSlot(k))).size > 1);
  expect(crossing).toEqual([]);
  expect(calls.every((c) => c.keys.length > 0)).toBe(true);
  expect(calls.length).toBeGreaterThan(100);
});

it("refuses, before sending, a script call whose keys span slots", async () => {
  const client = new Redis(redis.url, { lazyConnect: true });
  try {
    const store = new RedisTraceStore({ redis: client });
    expect(() => callScript(store.client, "tranquilCallEnd", ["x:{a}:c:1", "x:{b}:ci"], [])).toThrow(
      /tranquilCallEnd would touch keys of several hash slots \(x:\{a\}:c:1, x:\{b\}:ci\)/,
    );
    await store.close();
  } finally {
    client.disconnect();
  }
});
