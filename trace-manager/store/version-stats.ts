import { binOf, quantileMs } from "./histogram.js";
import type { OutboundSample, VersionStats } from "./port.js";

/** The counts of one stats bucket of one service@version. */
export interface StatsCell {
  requests: number;
  successes: number;
  /** histogram bin → samples */
  readonly bins: Map<number, number>;
}

/** A fresh, empty cell. */
export const emptyCell = (): StatsCell => ({ requests: 0, successes: 0, bins: new Map() });

/** Adds one outbound sample to a cell. */
export function addSample(cell: StatsCell, s: OutboundSample): void {
  cell.requests++;
  if (s.ok) cell.successes++;
  const bin = binOf(s.durationMs);
  cell.bins.set(bin, (cell.bins.get(bin) ?? 0) + 1);
}

/** Adds `from` into `into`. */
export function mergeCell(into: StatsCell, from: StatsCell): void {
  into.requests += from.requests;
  into.successes += from.successes;
  for (const [bin, n] of from.bins) into.bins.set(bin, (into.bins.get(bin) ?? 0) + n);
}

/** Success rate and p99 of the merged cells of a window. */
export function toVersionStats(cell: StatsCell): VersionStats {
  return {
    requests: cell.requests,
    successes: cell.successes,
    successRate: cell.requests === 0 ? null : cell.successes / cell.requests,
    p99Ms: quantileMs(cell.bins, 0.99),
  };
}
