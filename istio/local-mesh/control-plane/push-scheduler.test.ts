import { describe, expect, it } from "vitest";
import { virtualService } from "../../api/builders.js";
import { createConfigStore } from "./config-store.js";
import { drawDelay } from "./delay.js";
import { upsertEndpoint } from "./endpoints.js";
import { ManualTimers } from "./manual-timers.js";
import { DelayedPushScheduler } from "./push-scheduler.js";
import type { MeshSnapshot } from "./types.js";

const snap = (epoch: number): MeshSnapshot => ({
  epoch,
  virtualServices: [],
  destinationRules: [],
  gateways: [],
  serviceEntries: [],
  endpoints: [],
});

/** Returns the given values in turn (then repeats the last). */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)] ?? 0;
}

function recorder(timers: ManualTimers): {
  log: string[];
  deliver: (id: string) => (s: MeshSnapshot) => void;
} {
  const log: string[] = [];
  return { log, deliver: (id) => (s) => log.push(`${String(timers.now)}ms ${id}@${String(s.epoch)}`) };
}

describe("delay distribution", () => {
  it.each([
    [{ minMs: 50, maxMs: 500 }, [0], 50],
    [{ minMs: 50, maxMs: 500 }, [0.5], 275],
    [{ minMs: 50, maxMs: 500, tail: { probability: 0.1, minMs: 2000, maxMs: 4000 } }, [0.05, 0.5], 3000],
    [{ minMs: 50, maxMs: 500, tail: { probability: 0.1, minMs: 2000, maxMs: 4000 } }, [0.5, 0], 50],
  ])("%j with draws %j → %d ms", (dist, draws, ms) => {
    expect(drawDelay(dist, sequence(...draws))).toBe(ms);
  });
});

describe("push scheduler", () => {
  it("a change reaches proxies at different times (visible propagation delay)", () => {
    const timers = new ManualTimers();
    const { log, deliver } = recorder(timers);
    // Draws per push, in proxy registration order: a → 0.0 (50 ms), b → 1.0 (500 ms).
    const s = new DelayedPushScheduler({ timers, random: sequence(0, 1) });
    s.register("a", deliver("a"));
    s.register("b", deliver("b"));
    s.push(snap(1));
    timers.advance(49);
    expect(log).toEqual([]);
    timers.advance(1);
    expect(log).toEqual(["50ms a@1"]);
    expect([s.deliveredEpoch("a"), s.deliveredEpoch("b")]).toEqual([1, undefined]);
    timers.advance(450);
    expect(log).toEqual(["50ms a@1", "500ms b@1"]);
  });

  it("never goes backwards: a newer snapshot that arrives first supersedes the older one", () => {
    const timers = new ManualTimers();
    const { log, deliver } = recorder(timers);
    // Epoch 1 draws 500 ms, epoch 2 draws 50 ms.
    const s = new DelayedPushScheduler({ timers, random: sequence(1, 0) });
    s.register("a", deliver("a"));
    s.push(snap(1));
    s.push(snap(2));
    timers.advance(1000);
    expect(log).toEqual(["50ms a@2"]);
    expect(s.deliveredEpoch("a")).toBe(2);
  });

  it("a registering proxy gets the current snapshot at once", () => {
    const timers = new ManualTimers();
    const { log, deliver } = recorder(timers);
    const s = new DelayedPushScheduler({ timers, random: () => 0 });
    s.push(snap(7));
    s.register("late", deliver("late"));
    expect(log).toEqual(["0ms late@7"]);
  });

  it("a named laggard and a seconds-long tail", () => {
    const timers = new ManualTimers();
    const { log, deliver } = recorder(timers);
    const s = new DelayedPushScheduler({
      timers,
      random: () => 0.01,
      delay: { minMs: 100, maxMs: 100, tail: { probability: 0.5, minMs: 3000, maxMs: 3000 } },
      laggards: { slow: { minMs: 30_000, maxMs: 30_000 } },
    });
    s.register("tailed", deliver("tailed"));
    s.register("slow", deliver("slow"));
    s.register("own", deliver("own"), { delay: { minMs: 10, maxMs: 10 } });
    s.push(snap(1));
    timers.advance(60_000);
    expect(log).toEqual(["10ms own@1", "3000ms tailed@1", "30000ms slow@1"]);
  });

  it("store writes are pushed, coalesced per burst; endpoint updates lag like config", async () => {
    const timers = new ManualTimers();
    const store = createConfigStore();
    const { log, deliver } = recorder(timers);
    const s = new DelayedPushScheduler({ timers, random: () => 0, store, delay: { minMs: 100, maxMs: 100 } });
    s.register("a", deliver("a"));
    expect(log).toEqual(["0ms a@0"]);
    store.create(virtualService("r", { hosts: ["r"], http: [{ route: [{ destination: { host: "r" } }] }] }));
    upsertEndpoint(store, {
      service: "r",
      address: "127.0.0.1:4000",
      port: 80,
      labels: { app: "r", version: "v1" },
      pod: "r-1",
      ready: true,
    });
    await Promise.resolve(); // the coalescing microtask
    expect(timers.size).toBe(1);
    timers.advance(99);
    expect(log).toEqual(["0ms a@0"]);
    timers.advance(1);
    expect(log).toEqual(["0ms a@0", "100ms a@2"]);
    s.close();
  });

  it("unregister and close cancel pending deliveries", () => {
    const timers = new ManualTimers();
    const { log, deliver } = recorder(timers);
    const s = new DelayedPushScheduler({ timers, random: () => 0.5 });
    const off = s.register("a", deliver("a"));
    s.register("b", deliver("b"));
    s.push(snap(1));
    off();
    s.close();
    timers.advance(1000);
    expect(log).toEqual([]);
    expect(timers.size).toBe(0);
  });

  it("works with real timers (tiny delays)", async () => {
    const s = new DelayedPushScheduler({ delay: { minMs: 1, maxMs: 5 } });
    const got: number[] = [];
    const done = new Promise<void>((resolve) => {
      s.register("a", (snapshot) => {
        got.push(snapshot.epoch);
        if (snapshot.epoch === 2) resolve();
      });
    });
    s.push(snap(1));
    s.push(snap(2));
    await done;
    expect(got[got.length - 1]).toBe(2);
    expect([...got].sort((x, y) => x - y)).toEqual(got);
    s.close();
  });
});
