/**
 * Durations in the Upgrade spec: one non-negative integer and a unit (`ms`, `s`, `m`, `h`).
 */
import { DURATION_PATTERN } from "./schema.js";

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
const DURATION = new RegExp(DURATION_PATTERN);

/** Milliseconds in a duration such as "30s"; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  const match = /^([0-9]+)(ms|s|m|h)$/.exec(text);
  if (match === null) return undefined;
  const [, digits, unit] = match;
  if (digits === undefined || unit === undefined) return undefined;
  const value = Number(digits) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return Number.isSafeInteger(value) ? value : undefined;
}

/** A duration in the friendliest unit that divides it exactly ("90s", "10m"). */
export function formatDuration(ms: number): string {
  if (ms % UNIT_MS.h === 0 && ms > 0) return `${ms / UNIT_MS.h}h`;
  if (ms % UNIT_MS.m === 0 && ms > 0) return `${ms / UNIT_MS.m}m`;
  if (ms % UNIT_MS.s === 0 && ms > 0) return `${ms / UNIT_MS.s}s`;
  return `${ms}ms`;
}

/** Allowed range of each duration field of the spec, in milliseconds (inclusive). */
export const DURATION_RANGES = {
  "strategy.stepInterval": { min: 1_000, max: 24 * 3_600_000 },
  "drain.maxTransactionAge": { min: 1_000, max: 24 * 3_600_000 },
  "drain.timeout": { min: 1_000, max: 7 * 24 * 3_600_000 },
  "drain.settle": { min: 100, max: 10 * 60_000 },
} as const;
/** A spec path that holds a duration. */
export type DurationField = keyof typeof DURATION_RANGES;
