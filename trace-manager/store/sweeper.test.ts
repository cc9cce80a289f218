import { describe, expect, it } from "vitest";
import { MemoryTraceStore } from "./memory.js";
import type { Expiry, TraceStore, TxnId } from "./port.js";
import { startSweeper, type SweeperTimers } from "./sweeper.js";

/** Timers that fire only when the test says so. */
function manualTimers(): SweeperTimers & { fire(): void; cleared: boolean } {
  let fn: (() => void) | undefined;
  return {
    cleared: false,
    setInterval(f) {
      fn = f;
      return 1;
    },
    clearInterval() {
      this.cleared = true;
    },
    fire: () => fn?.(),
  };
}

describe("startSweeper", () => {
  it("reports expired active records on a tick", async () => {
    let now = 1_000_000;
    const store = new MemoryTraceStore({ clock: () => now, maxTransactionAgeMs: 1_000, bucketMs: 100 });
    await store.recordCallStarts([
      { txn: "0af7651b1c4d4e5f" as TxnId, service: "auth-service", version: "v1", pod: "p-0", at: now },
    ]);
    const timers = manualTimers();
    const seen: Expiry[] = [];
    const sweeper = startSweeper(store, {
      intervalMs: 100,
      clock: () => now,
      timers,
      onExpiries: (e) => seen.push(...e),
    });
    timers.fire();
    await sweeper.tick();
    expect(seen).toEqual([]);
    now += 1_100;
    timers.fire();
    await sweeper.tick();
    expect(seen.map((e) => e.where)).toEqual(["auth-service@v1"]);
    await sweeper.stop();
    expect(timers.cleared).toBe(true);
  });

  it("hands a failed sweep to onError and keeps going", async () => {
    const errors: unknown[] = [];
    const failing = { sweep: () => Promise.reject(new Error("down")) } as unknown as TraceStore;
    const sweeper = startSweeper(failing, {
      intervalMs: 100,
      timers: manualTimers(),
      onError: (e) => errors.push(e),
    });
    await sweeper.tick();
    await sweeper.tick();
    expect(errors).toHaveLength(2);
    await sweeper.stop();
  });
});
