import { describe, expect, it } from "vitest";
import { HISTOGRAM, binOf, binUpperMs, quantileMs } from "./histogram.js";

describe("latency histogram", () => {
  it.each([0, 0.005, 0.01, 0.02, 1, 3.7, 250, 10_000, 3_600_000])(
    "reports %s ms within 5 %% above it",
    (ms) => {
      const upper = binUpperMs(binOf(ms));
      expect(upper).toBeGreaterThanOrEqual(Math.max(ms, HISTOGRAM.minMs) - 1e-3);
      expect(upper).toBeLessThanOrEqual(Math.max(ms, HISTOGRAM.minMs) * HISTOGRAM.gamma + 1e-3);
    },
  );

  it("bounds the number of bins", () => {
    expect(binOf(1e12)).toBe(HISTOGRAM.maxBin);
  });

  it("takes the nearest-rank p99", () => {
    const bins = new Map<number, number>();
    for (let i = 1; i <= 100; i++) bins.set(binOf(i), (bins.get(binOf(i)) ?? 0) + 1);
    const p99 = quantileMs(bins, 0.99)!;
    expect(p99).toBeGreaterThanOrEqual(99);
    expect(p99).toBeLessThanOrEqual(99 * HISTOGRAM.gamma);
    expect(quantileMs(new Map(), 0.99)).toBeNull();
  });
});
