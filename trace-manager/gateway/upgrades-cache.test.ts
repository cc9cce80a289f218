import { describe, it, expect } from "vitest";
import { UpgradesCache } from "./upgrades-cache.js";
import type { ActiveUpgrade } from "../store/port.js";

const up = (weight: number): ActiveUpgrade => ({
  id: "up-1",
  hosts: ["reviews"],
  weight,
  weightVersion: weight,
  watchEpochs: false,
  updatedAt: 0,
});

describe("UpgradesCache", () => {
  it("serves the cached list within the TTL and refreshes in the background after it", async () => {
    let now = 0;
    let reads = 0;
    let weight = 10;
    const cache = new UpgradesCache(
      { listUpgrades: () => (reads++, Promise.resolve([up(weight)])) },
      500,
      () => now,
    );
    expect((await cache.get(100))?.[0]?.weight).toBe(10);
    weight = 50;
    now = 499;
    expect(cache.current()?.[0]?.weight).toBe(10);
    expect(reads).toBe(1);
    now = 500;
    // Stale: still served at once, while the refresh runs.
    expect(cache.current()?.[0]?.weight).toBe(10);
    await cache.refresh();
    expect(cache.current()?.[0]?.weight).toBe(50);
  });

  it("waits at most the given time on a cold cache, and keeps the last list when reads fail", async () => {
    const never = new UpgradesCache(
      { listUpgrades: () => new Promise<ActiveUpgrade[]>(() => undefined) },
      500,
      () => 0,
    );
    const t0 = Date.now();
    expect(await never.get(20)).toBeNull();
    expect(Date.now() - t0).toBeLessThan(1000);

    let now = 0;
    let fail = false;
    const errors: unknown[] = [];
    const flaky = new UpgradesCache(
      { listUpgrades: () => (fail ? Promise.reject(new Error("down")) : Promise.resolve([up(10)])) },
      100,
      () => now,
      (e) => errors.push(e),
    );
    await flaky.refresh();
    fail = true;
    now = 200;
    await flaky.refresh();
    expect(flaky.failing).toBe(true);
    expect(errors).toHaveLength(1);
    expect(flaky.current()?.[0]?.weight).toBe(10);
  });
});
