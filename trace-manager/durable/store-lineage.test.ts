import { describe, it, expect } from "vitest";
import type { PodReport, StoreIntegrity } from "../store/port.js";
import { DirtyState } from "./dirty.js";
import { StoreLineage, type LineageStore } from "./store-lineage.js";
import { unprovenRestart } from "./restart-proof.js";

const facts = (over: Partial<StoreIntegrity> = {}): StoreIntegrity => ({
  generation: "g1",
  serverId: "s1",
  evictionPolicy: "noeviction",
  maxMemoryBytes: 0,
  evictedKeys: 0,
  ...over,
});

function fakeStore(): LineageStore & { now: StoreIntegrity | Error; stored: PodReport[] } {
  const s = {
    now: facts() as StoreIntegrity | Error,
    stored: [] as PodReport[],
    integrity: () => (s.now instanceof Error ? Promise.reject(s.now) : Promise.resolve(s.now)),
    pods: () => Promise.resolve(s.stored),
  };
  return s;
}

const report = (heartbeatAt: number, over: Partial<PodReport> = {}): PodReport => ({
  pod: "p-0",
  role: "sidecar",
  service: "reviews",
  version: "v1",
  heartbeatAt,
  watermark: heartbeatAt,
  dirty: false,
  dirtyReasons: [],
  weightVersions: {},
  epochs: {},
  ...over,
});

describe("StoreLineage", () => {
  it("is unverified until the first read, then flags a new generation for the hold", async () => {
    const store = fakeStore();
    const dirty = new DirtyState(0);
    const l = new StoreLineage(store, "p-0", dirty, 1000);
    expect(l.ongoing()).toEqual(["store-unverified"]);
    await l.check(0, 0);
    expect(l.ongoing()).toEqual([]);
    store.now = facts({ generation: "g2" });
    await l.check(100, 0);
    expect(dirty.evaluate(100, l.ongoing())).toEqual(["store-lost-records"]);
    expect(dirty.heldUntil(100)).toBe(1100);
    expect(dirty.evaluate(1100, l.ongoing())).toEqual([]);
    store.now = new Error("down");
    await l.check(1200, 0);
    expect(l.ongoing()).toEqual(["store-unverified"]);
  });

  it("flags evictions on the same server, and a policy that may evict while it lasts", async () => {
    const store = fakeStore();
    const dirty = new DirtyState(0);
    const l = new StoreLineage(store, "p-0", dirty, 1000);
    store.now = facts({ evictionPolicy: "allkeys-lru", maxMemoryBytes: 1 << 20 });
    await l.check(0, 0);
    expect(l.ongoing()).toEqual(["store-may-evict"]);
    store.now = facts({ evictionPolicy: "allkeys-lru", maxMemoryBytes: 1 << 20, evictedKeys: 3 });
    await l.check(10, 0);
    expect(dirty.evaluate(10, l.ongoing())).toEqual(["store-lost-records", "store-may-evict"]);
    // No memory limit: nothing is ever evicted, whatever the policy says.
    store.now = facts({ evictionPolicy: "allkeys-lru", maxMemoryBytes: 0, evictedKeys: 3 });
    await l.check(20, 0);
    expect(l.ongoing()).toEqual([]);
  });

  it("after a server change, trusts the data only if its last report survived and nothing was written since", async () => {
    const store = fakeStore();
    const dirty = new DirtyState(0);
    const losses: string[] = [];
    const l = new StoreLineage(store, "p-0", dirty, 1000, (why) => losses.push(why));
    await l.check(0, 5);
    l.reported(50, 5);
    store.stored = [report(50)];
    store.now = facts({ serverId: "s2" });
    await l.check(100, 5);
    expect(losses).toEqual([]);

    // A write was acknowledged after the last report: the new server may have missed it.
    l.reported(150, 5);
    store.stored = [report(150)];
    store.now = facts({ serverId: "s3" });
    await l.check(200, 6);
    expect(losses).toHaveLength(1);
    expect(losses[0]).toMatch(/server changed \(s2 → s3\)/);

    // The last report itself is missing from the new server.
    l.reported(250, 6);
    store.stored = [report(150)];
    store.now = facts({ serverId: "s4" });
    await l.check(300, 6);
    expect(losses).toHaveLength(2);
  });

  it("on a sharded store, flags a tag whose generation changed or vanished, and any unproven master change", async () => {
    const store = fakeStore();
    const dirty = new DirtyState(0);
    const losses: string[] = [];
    const l = new StoreLineage(store, "p-0", dirty, 1000, (why) => losses.push(why));
    store.now = facts({ serverId: "a,b,c", tagGenerations: { reviews: "r1" } });
    await l.check(0, 5);
    // A new tag is no loss.
    store.now = facts({ serverId: "a,b,c", tagGenerations: { reviews: "r1", gw: "w1" } });
    await l.check(10, 5);
    expect(losses).toEqual([]);
    store.now = facts({ serverId: "a,b,c", tagGenerations: { reviews: "r2", gw: "w1" } });
    await l.check(20, 5);
    expect(losses[0]).toMatch(/generation of "reviews" changed \(r1 → r2\)/);
    store.now = facts({ serverId: "a,b,c", tagGenerations: { reviews: "r2" } });
    await l.check(30, 5);
    expect(losses[1]).toMatch(/no longer lists "gw"/);
    // The pod's last report survived and nothing was written since, yet it proves only its own shard.
    l.reported(35, 5);
    store.stored = [report(35)];
    store.now = facts({ serverId: "a,b,d", tagGenerations: { reviews: "r2" } });
    await l.check(40, 5);
    expect(losses[2]).toMatch(/a shard's server changed \(a,b,c → a,b,d\)/);
    expect(dirty.evaluate(40, l.ongoing())).toEqual(["store-lost-records"]);
  });
});

describe("unprovenRestart", () => {
  const envoy = (ok: number) => ({
    readAt: 0,
    extAuthz: { ok, error: 0, denied: 0, failureModeAllowed: 0 },
    accessLogs: { written: 0, dropped: 0 },
    downstreamRqActive: 0,
    upstream: {},
    healthyEndpoints: {},
  });

  it("proves a first start with an idle Envoy, and a successor when no Check came after a clean report", () => {
    expect(unprovenRestart({ previous: undefined, envoy: envoy(0), unreadable: null })).toBeNull();
    expect(unprovenRestart({ previous: undefined, envoy: null, unreadable: null })).toBeNull();
    expect(
      unprovenRestart({ previous: report(1, { envoy: envoy(7) }), envoy: envoy(7), unreadable: null }),
    ).toBeNull();
  });

  it("refuses when Checks came since, the last report was dirty, or nothing could be read", () => {
    expect(unprovenRestart({ previous: undefined, envoy: envoy(3), unreadable: null })).toMatch(/3 Check/);
    expect(
      unprovenRestart({ previous: report(1, { envoy: envoy(7) }), envoy: envoy(9), unreadable: null }),
    ).toMatch(/9 Check\(s\), 7 when/);
    expect(
      unprovenRestart({
        previous: report(1, { envoy: envoy(7), dirty: true, dirtyReasons: ["backlog"] }),
        envoy: envoy(7),
        unreadable: null,
      }),
    ).toMatch(/dirty \(backlog\)/);
    expect(
      unprovenRestart({ previous: report(1, { envoy: envoy(7) }), envoy: null, unreadable: null }),
    ).toMatch(/no Envoy/);
    expect(unprovenRestart({ previous: undefined, envoy: null, unreadable: "down" })).toBe("down");
  });
});
