/**
 * A drain ETA for `tranquil watch` while an upgrade is Draining (ADR 0051). Nobody knows how
 * long the old transactions still in flight will run, so the estimate is a bound built from
 * what the status shows and the spec's drain settings:
 *
 * - old transactions active: at most `maxTransactionAge − oldest age + settle` (the oldest
 *   may run until it is declared lost; a long stream that keeps `old` busy can run longer);
 * - none active but transactions pinned: the pin idle time (install-wide, 30 s by default)
 *   plus the settle window;
 * - nothing active or pinned: the settle window;
 * - dirty pods: unknown until they are certified clean.
 */
import type { UpgradeView } from "../api/view.js";
import { DEFAULT_SETTINGS } from "../engine/settings.js";
import { parseDuration } from "../upgrade-spec/duration.js";
import { formatSeconds } from "./format.js";

/** The ETA as text, or undefined when the upgrade is not Draining. */
export function drainEta(view: UpgradeView): string | undefined {
  const { status } = view;
  if (status.phase !== "Draining") return undefined;
  if (status.dirtyPods.length > 0) return "unknown until the dirty pods are certified clean";
  const settle = seconds(view.spec.drain?.settle, DEFAULT_SETTINGS.settleMs);
  if (status.activeOld > 0) {
    const maxAge = seconds(view.spec.drain?.maxTransactionAge, DEFAULT_SETTINGS.maxTransactionAgeMs);
    const left = Math.max(0, maxAge - status.oldestActiveAgeSeconds) + settle;
    return `≤ ${formatSeconds(left)} (oldest old transaction ${formatSeconds(status.oldestActiveAgeSeconds)} of max ${formatSeconds(maxAge)}, then settle ${formatSeconds(settle)})`;
  }
  if (status.pinned > 0) {
    const idle = DEFAULT_SETTINGS.pinIdleMs / 1000;
    return `~${formatSeconds(idle + settle)} (pins end after ${formatSeconds(idle)} idle, then settle ${formatSeconds(settle)})`;
  }
  return `~${formatSeconds(settle)} (settle window)`;
}

function seconds(text: string | undefined, fallbackMs: number): number {
  return (text === undefined ? fallbackMs : (parseDuration(text) ?? fallbackMs)) / 1000;
}
