/**
 * A bounded latency histogram with logarithmic bins (the DDSketch idea), shared by both stores.
 *
 * Bin 0 holds durations ≤ 0.01 ms; bin i > 0 holds (0.01·γ^(i-1), 0.01·γ^i] ms with γ = 1.05, and
 * durations above the last bin's bound (about 1.2 hours) land in the last bin. A quantile is
 * reported as the upper bound of the bin that holds it, so it over-estimates the true sample
 * quantile by at most 5 % (relative), never under-estimates it below 0.01 ms. At most 500 bins
 * exist, and a stats bucket stores only the bins it saw.
 */
export const HISTOGRAM = { gamma: 1.05, minMs: 0.01, maxBin: 500 } as const;

const LOG_GAMMA = Math.log(HISTOGRAM.gamma);

/** The bin of a duration in milliseconds. */
export function binOf(durationMs: number): number {
  if (!(durationMs > HISTOGRAM.minMs)) return 0;
  const i = Math.ceil(Math.log(durationMs / HISTOGRAM.minMs) / LOG_GAMMA - 1e-9);
  return Math.min(Math.max(i, 1), HISTOGRAM.maxBin);
}

/** The upper bound of bin `i`, in milliseconds, rounded to the microsecond. */
export function binUpperMs(i: number): number {
  return Math.round(HISTOGRAM.minMs * HISTOGRAM.gamma ** i * 1000) / 1000;
}

/**
 * The nearest-rank quantile `q` (0 < q ≤ 1) of a histogram given as bin → count, or null when
 * it holds no samples.
 */
export function quantileMs(bins: ReadonlyMap<number, number>, q: number): number | null {
  let total = 0;
  for (const c of bins.values()) total += c;
  if (total <= 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  const sorted = [...bins.entries()].sort((a, b) => a[0] - b[0]);
  let seen = 0;
  for (const [bin, count] of sorted) {
    seen += count;
    if (seen >= rank) return binUpperMs(bin);
  }
  const last = sorted[sorted.length - 1];
  return last === undefined ? null : binUpperMs(last[0]);
}
