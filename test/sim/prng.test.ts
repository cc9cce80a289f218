import { describe, expect, it } from "vitest";
import { createPrng } from "./prng.js";

describe("createPrng", () => {
  it("replays the same sequence for the same seed and differs across seeds", () => {
    const a = createPrng(42);
    const b = createPrng(42);
    const c = createPrng(43);
    const seqA = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(seqA);
  });

  it("stays in range", () => {
    const r = createPrng(7);
    for (let i = 0; i < 1_000; i++) {
      const x = r.next();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      const n = r.int(3, 5);
      expect([3, 4, 5]).toContain(n);
    }
  });

  it("draws long tails: mostly near the base, some at the cap, never above it", () => {
    const r = createPrng(1);
    const draws = Array.from({ length: 5_000 }, () => r.longTail(10, 20, 1.2, 3_000));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(30);
    expect(Math.max(...draws)).toBeLessThanOrEqual(3_000);
    const sorted = [...draws].sort((x, y) => x - y);
    expect(sorted[2_500]).toBeLessThan(100);
    expect(draws.filter((d) => d > 1_000).length).toBeGreaterThan(0);
  });
});
