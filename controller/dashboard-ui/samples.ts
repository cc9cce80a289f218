/**
 * What the dashboard's chart shows: one sample per status event received (traffic share of
 * the old and the new version by enrolment weight, and the transactions active at each), and
 * the chart's geometry computed from them, so the SVG code only draws.
 */
import type { UpgradeView } from "../api/view.js";

/** One point of the chart. */
export interface Sample {
  /** When the status arrived (ms). */
  readonly at: number;
  /** Enrolment weight: the share of new transactions that go to the new version (percent). */
  readonly weight: number;
  /** Transactions or calls still active at the old version. */
  readonly activeOld: number;
  /** Transactions active at the new versions (`status.versions`; 0 when the status has none). */
  readonly activeNew: number;
}

/** Transactions active at the train's new versions, from `status.versions`. */
export function activeAtNew(view: UpgradeView): number {
  return (view.status.versions ?? [])
    .filter((v) => v.role === "new")
    .reduce((sum, v) => sum + v.activeTransactions, 0);
}

/** The most samples kept; older ones are dropped (a sample per change of what is charted). */
export const MAX_SAMPLES = 600;

/** `samples` with one more for `view` at `now`, unless it charts the same as the last one. */
export function addSample(samples: readonly Sample[], view: UpgradeView, now: number): readonly Sample[] {
  const { weight, activeOld } = view.status;
  const activeNew = activeAtNew(view);
  const last = samples.at(-1);
  if (
    last !== undefined &&
    last.weight === weight &&
    last.activeOld === activeOld &&
    last.activeNew === activeNew
  )
    return samples;
  const kept = samples.length >= MAX_SAMPLES ? samples.slice(samples.length - MAX_SAMPLES + 1) : samples;
  return [...kept, { at: now, weight, activeOld, activeNew }];
}

/** The chart's drawing, in SVG user units of a `width`×`height` box. */
export interface ChartGeometry {
  /** Area of the new version's share (the weight), from the bottom. */
  readonly newShare: string;
  /** Area of the old version's share, above the new one's. */
  readonly oldShare: string;
  /** Line of old transactions active, scaled to `maxActive`. */
  readonly activeLine: string;
  /** Line of new transactions active, on the same scale. */
  readonly activeNewLine: string;
  /** The active count at the top of the chart (at least 1). */
  readonly maxActive: number;
  /** Seconds the chart spans. */
  readonly spanSeconds: number;
}

/**
 * Step-shaped paths for the samples from the first one until `until` (ms): a value holds
 * until the next sample, the last one until `until`. Empty paths without samples.
 */
export function chartGeometry(
  samples: readonly Sample[],
  until: number,
  width: number,
  height: number,
): ChartGeometry {
  const first = samples[0];
  if (first === undefined)
    return { newShare: "", oldShare: "", activeLine: "", activeNewLine: "", maxActive: 1, spanSeconds: 0 };
  const span = Math.max(1, until - first.at);
  const maxActive = Math.max(1, ...samples.map((s) => Math.max(s.activeOld, s.activeNew)));
  const x = (at: number): number => round((Math.min(span, Math.max(0, at - first.at)) / span) * width);
  const yWeight = (w: number): number => round(height - (Math.min(100, Math.max(0, w)) / 100) * height);
  const yActive = (n: number): number => round(height - (n / maxActive) * height);
  const steps = (y: (s: Sample) => number): string => {
    const points: string[] = [];
    samples.forEach((s, i) => {
      const next = samples[i + 1];
      points.push(`${x(s.at)},${y(s)}`, `${next === undefined ? width : x(next.at)},${y(s)}`);
    });
    return points.join(" L");
  };
  const top = steps((s) => yWeight(s.weight));
  return {
    newShare: `M0,${height} L${top} L${width},${height} Z`,
    oldShare: `M0,0 L${top} L${width},0 Z`,
    activeLine: `M${steps((s) => yActive(s.activeOld))}`,
    activeNewLine: `M${steps((s) => yActive(s.activeNew))}`,
    maxActive,
    spanSeconds: span / 1000,
  };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
