import { describe, it, expect } from "vitest";
import { BatchWriter } from "./batch-writer.js";
import { systemTimers } from "../clock.js";

function writer(
  write: (b: readonly number[]) => Promise<void>,
  extra: { bufferLimit?: number; isPermanent?: (e: unknown) => boolean } = {},
) {
  const dropped: number[] = [];
  const errors: unknown[] = [];
  const w = new BatchWriter<number, void>({
    name: "t",
    write,
    maxBatch: 100,
    bufferLimit: extra.bufferLimit ?? 1000,
    maxInFlight: 1,
    retryBaseMs: 5,
    retryMaxMs: 20,
    timers: systemTimers,
    atOf: (n) => n,
    onDrop: (n) => dropped.push(n),
    onError: (e) => errors.push(e),
    ...(extra.isPermanent === undefined ? {} : { isPermanent: extra.isPermanent }),
  });
  return { w, dropped, errors };
}

describe("BatchWriter", () => {
  it("batches records submitted while a write is in flight", async () => {
    const batches: number[][] = [];
    const { w } = writer(async (b) => {
      batches.push([...b]);
      await new Promise((r) => setTimeout(r, 5));
    });
    const all = Array.from({ length: 50 }, (_, i) => w.submit(i) ?? Promise.resolve(false));
    expect(await Promise.all(all)).toEqual(Array(50).fill(true));
    // The first turn's records share one batch.
    expect(batches.length).toBeLessThan(5);
    expect(batches.flat()).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it("retries failed batches in order and reports the oldest pending admission", async () => {
    let fail = 3;
    const written: number[] = [];
    const { w, errors } = writer((b) => {
      if (fail-- > 0) return Promise.reject(new Error("down"));
      written.push(...b);
      return Promise.resolve();
    });
    const p1 = w.submit(10);
    const p2 = w.submit(20);
    await new Promise((r) => setTimeout(r, 1));
    expect(w.oldestPendingAt()).toBe(10);
    expect(await Promise.all([p1, p2])).toEqual([true, true]);
    expect(errors).toHaveLength(3);
    expect(written).toEqual([10, 20]);
    expect(w.oldestPendingAt()).toBeNull();
    expect(w.retrying).toBe(false);
  });

  it("refuses records beyond the buffer limit", async () => {
    const { w, dropped } = writer(() => Promise.reject(new Error("down")), { bufferLimit: 3 });
    const results = [1, 2, 3, 4, 5].map((n) => w.submit(n));
    expect(results.filter((r) => r === null)).toHaveLength(2);
    expect(dropped).toEqual([4, 5]);
    w.close();
    const accepted = results.filter((r): r is Promise<boolean> => r !== null);
    expect(await Promise.all(accepted)).toEqual([false, false, false]);
  });

  it("drops a batch the store refuses for good instead of retrying forever", async () => {
    let calls = 0;
    const { w } = writer(
      () => {
        calls++;
        return Promise.reject(new Error("invalid"));
      },
      { isPermanent: () => true },
    );
    expect(await w.submit(1)).toBe(false);
    expect(calls).toBe(1);
    expect(w.pending).toBe(0);
  });

  it("drain waits for the retry and reports whether everything landed", async () => {
    let down = true;
    const { w } = writer(() => (down ? Promise.reject(new Error("down")) : Promise.resolve()));
    void w.submit(1);
    expect(await w.drain(30)).toBe(false);
    down = false;
    expect(await w.drain(1000)).toBe(true);
  });

  it("offer calls back once a record is durable, and refuses without calling back when full", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { w, dropped } = writer(() => gate, { bufferLimit: 1 });
    const outcomes: boolean[] = [];
    expect(w.offer(1, (ok) => outcomes.push(ok))).toBe(true);
    await new Promise((r) => setTimeout(r, 1)); // 1 is now in flight; the queue is empty
    expect(w.offer(2, (ok) => outcomes.push(ok))).toBe(true);
    expect(w.offer(3, (ok) => outcomes.push(ok))).toBe(false);
    expect(dropped).toEqual([3]);
    release();
    await w.drain(1000);
    expect(outcomes).toEqual([true, true]);
  });
});
