import calculateSlot from "cluster-key-slot";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestCluster, type TestCluster } from "../../test/support/redis-cluster.js";
import { DirtyState } from "../durable/dirty.js";
import { StoreLineage } from "../durable/store-lineage.js";
import type { TxnId } from "./port.js";
import { describeTraceStoreContract } from "./testing/contract.js";
import { RedisTraceStore } from "./redis.js";
import { pipelineAll } from "./redis-exec.js";
import { RedisKeys } from "./redis-keys.js";

/** The store on a Redis Cluster of three masters and three replicas (ADR 0092). */
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

/** Service names whose records lie on three different masters. */
async function oneServicePerMaster(keys: RedisKeys): Promise<Map<number, string>> {
  const byMaster = new Map<number, string>();
  for (let i = 0; byMaster.size < 3 && i < 200; i++) {
    const service = `svc-${i}`;
    const port = await cluster.masterOf(keys.callIndex(service));
    if (!byMaster.has(port)) byMaster.set(port, service);
  }
  expect(byMaster.size).toBe(3);
  return byMaster;
}

describe("the store on a Redis Cluster", () => {
  it("fails calls as unavailable when no node answers, naming the nodes but never the password", async () => {
    const store = new RedisTraceStore({ redis: "redis-cluster://:hunter2@127.0.0.1:1", readyWaitMs: 300 });
    try {
      const err = (await store.ping().catch((e: unknown) => e)) as Error & { kind?: string };
      expect(err.kind).toBe("unavailable");
      expect(err.message).not.toContain("hunter2");
    } finally {
      await store.close();
    }
  });

  it("takes a Cluster client the caller owns and leaves it open", async () => {
    const owner = new RedisTraceStore({ redis: cluster.url, keyPrefix: "own" });
    await owner.ping();
    const borrowed = new RedisTraceStore({ redis: owner.client, keyPrefix: "own" });
    await borrowed.reportPod({
      pod: "p-0",
      role: "sidecar",
      service: "reviews",
      version: "v1",
      heartbeatAt: 1,
      watermark: 1,
      dirty: false,
      dirtyReasons: [],
      weightVersions: {},
      epochs: {},
    });
    await borrowed.close();
    expect((await owner.pods()).map((p) => p.pod)).toEqual(["p-0"]);
    await owner.close();
  });

  it("splits a pipeline by hash slot and returns the replies in order, failing on the first failed step", async () => {
    const store = new RedisTraceStore({ redis: cluster.url, keyPrefix: "pipe" });
    try {
      await store.ping();
      const client = store.client;
      const tags = Array.from({ length: 12 }, (_, i) => `pipe:{t${i}}:k`);
      expect(new Set(tags.map((k) => calculateSlot(k))).size).toBe(12);
      const set = await pipelineAll(
        client,
        tags.map((key, i) => ({ key, queue: (p) => p.set(key, String(i)) })),
      );
      expect(set).toEqual(tags.map(() => "OK"));
      const reversed = [...tags].reverse();
      const got = await pipelineAll(
        client,
        reversed.map((key) => ({ key, queue: (p) => p.get(key) })),
      );
      expect(got).toEqual(reversed.map((k) => String(tags.indexOf(k))));
      // A wrong-type read in the middle fails the whole call with its own error.
      await expect(
        pipelineAll(client, [
          { key: tags[0] ?? "", queue: (p) => p.get(tags[0] ?? "") },
          { key: tags[5] ?? "", queue: (p) => p.hgetall(tags[5] ?? "") },
          { key: tags[9] ?? "", queue: (p) => p.get(tags[9] ?? "") },
        ]),
      ).rejects.toThrow(/WRONGTYPE/);
    } finally {
      await store.close();
    }
  });

  it("writes calls of services on every master and a gateway in one batch, and reads them back", async () => {
    const keys = new RedisKeys("multi");
    const services = [...(await oneServicePerMaster(keys)).values()];
    const store = new RedisTraceStore({ redis: cluster.url, keyPrefix: "multi" });
    try {
      const at = Date.now();
      await store.recordCallStarts(
        services.flatMap((service, i) => [
          { txn: `t-${i}-a` as TxnId, service, version: "v1", pod: `${service}-0`, at },
          { txn: `t-${i}-b` as TxnId, service, version: "v1", pod: `${service}-0`, at },
        ]),
      );
      await store.recordIngressStarts([
        {
          txn: "t-0-a" as TxnId,
          gateway: "edge",
          at,
          enrolments: [{ upgrade: "up-1", enrolled: true, weightVersion: 1 }],
        },
      ]);
      for (const service of services) expect((await store.activeAt(service, "v1")).calls).toBe(2);
      expect((await store.ingress("up-1")).enrolledInFlight).toBe(1);
      const ends = await store.recordCallEnds(
        services.map((service, i) => ({
          txn: `t-${i}-a` as TxnId,
          service,
          version: "v1",
          pod: `${service}-0`,
          at,
          status: 200,
          durationMs: 1,
        })),
      );
      expect(ends.clamped).toBe(0);
      for (const service of services) expect((await store.activeAt(service, "v1")).calls).toBe(1);
    } finally {
      await store.close();
    }
  });

  it("reports the eviction facts of a master that may evict, whichever it is", async () => {
    const store = new RedisTraceStore({ redis: cluster.url, keyPrefix: "evict" });
    const port = await cluster.masterOf("evict:{x}:c:1");
    const admin = new Redis({ host: "127.0.0.1", port });
    try {
      expect(await store.integrity()).toMatchObject({ evictionPolicy: "noeviction" });
      await admin.config("SET", "maxmemory", "512mb", "maxmemory-policy", "allkeys-lru");
      expect(await store.integrity()).toMatchObject({
        evictionPolicy: "allkeys-lru",
        maxMemoryBytes: 512 * 1024 * 1024,
        evictedKeys: 0,
      });
      const lineage = new StoreLineage(store, "p-0", new DirtyState(0), 1_000);
      await lineage.check(0, 0);
      expect(lineage.ongoing()).toEqual(["store-may-evict"]);
    } finally {
      await admin.config("SET", "maxmemory", "0", "maxmemory-policy", "noeviction");
      admin.disconnect();
      await store.close();
    }
  });

  it("keeps a generation per service in its slot, reads every master, and shows a shard that lost its data set", async () => {
    // A prefix whose global keys (the sets, the store's generation) share one master: the shard
    // flushed below is another, so only its services' own generations can show the loss.
    let prefix = "";
    for (let i = 0; prefix === "" && i < 100; i++) {
      const k = new RedisKeys(`gen${i}`);
      if ((await cluster.masterOf(k.services)) === (await cluster.masterOf(k.generation))) prefix = `gen${i}`;
    }
    const keys = new RedisKeys(prefix);
    const globalMaster = await cluster.masterOf(keys.services);
    const byMaster = await oneServicePerMaster(keys);
    const services = [...byMaster.values()];
    const store = new RedisTraceStore({ redis: cluster.url, keyPrefix: prefix });
    const dirty = new DirtyState(0);
    const losses: string[] = [];
    const lineage = new StoreLineage(store, "p-0", dirty, 1_000, (why) => losses.push(why));
    try {
      const at = Date.now();
      await store.recordCallStarts(
        services.map((service) => ({ txn: "t-1" as TxnId, service, version: "v1", pod: "p-0", at })),
      );
      const first = await store.integrity();
      expect(Object.keys(first.tagGenerations ?? {}).sort()).toEqual([...services].sort());
      for (const s of services)
        expect(calculateSlot(keys.tagGeneration(s))).toBe(calculateSlot(keys.callIndex(s)));
      expect(first.serverId?.split(",")).toHaveLength(3);
      expect(first.evictionPolicy).toBe("noeviction");
      expect(first.evictedKeys).toBe(0);
      expect((await store.integrity()).tagGenerations).toEqual(first.tagGenerations);
      await lineage.check(at, 1);
      expect(losses).toEqual([]);

      // One shard loses its data set while the others keep theirs.
      const [port, lost] = [...byMaster].find(([p]) => p !== globalMaster) ?? [0, ""];
      const admin = new Redis({ host: "127.0.0.1", port });
      await admin.flushall();
      admin.disconnect();
      const after = await store.integrity();
      expect(after.tagGenerations?.[lost]).toBeDefined();
      expect(after.tagGenerations?.[lost]).not.toBe(first.tagGenerations?.[lost]);
      for (const s of services.filter((x) => x !== lost))
        expect(after.tagGenerations?.[s]).toBe(first.tagGenerations?.[s]);
      await lineage.check(at + 10, 1);
      expect(losses).toHaveLength(1);
      expect(losses[0]).toMatch(new RegExp(`generation of "${lost}" changed .*lost its data set`));
      expect(after.generation).toBe(first.generation);
      expect(dirty.evaluate(at + 10, lineage.ongoing())).toEqual(["store-lost-records"]);
    } finally {
      await store.close();
    }
  });
});
