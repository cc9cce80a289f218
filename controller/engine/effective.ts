/**
 * The settings in force for one upgrade: the install-wide settings overridden by what the
 * spec names (stepInterval, failureLimit, drain.*).
 */
import { parseDuration } from "../upgrade-spec/duration.js";
import type { UpgradeSpec } from "../upgrade-spec/schema.js";
import type { Settings } from "./settings.js";

/** Default enrolment steps when the spec names none. */
export const DEFAULT_STEPS: readonly number[] = [10, 50, 100];

/** Settings plus the spec's strategy, resolved once per tick. */
export interface Effective extends Settings {
  readonly steps: readonly number[];
}

/** Merge the spec's overrides into the settings. Assumes a validated spec. */
export function effectiveSettings(spec: UpgradeSpec, settings: Settings): Effective {
  const ms = (text: string | undefined, fallback: number): number =>
    text === undefined ? fallback : (parseDuration(text) ?? fallback);
  return {
    ...settings,
    steps: spec.strategy?.steps ?? DEFAULT_STEPS,
    analysisIntervalMs: ms(spec.strategy?.stepInterval, settings.analysisIntervalMs),
    failureLimit: spec.strategy?.failureLimit ?? settings.failureLimit,
    maxTransactionAgeMs: ms(spec.drain?.maxTransactionAge, settings.maxTransactionAgeMs),
    drainTimeoutMs: ms(spec.drain?.timeout, settings.drainTimeoutMs),
    onTimeout: spec.drain?.onTimeout ?? settings.onTimeout,
    settleMs: ms(spec.drain?.settle, settings.settleMs),
  };
}
