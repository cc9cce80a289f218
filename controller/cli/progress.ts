/**
 * What `tranquil watch` shows of an upgrade: a status block (redrawn on a terminal) or one
 * line per change (logs, CI), both built from the view the controller streams. A change is a
 * change of what the upgrade does (phase, stage, weight, step, confirmations, the reason it
 * waits, …), not of the counters that move on every status (the oldest old call's age, the
 * number of calls in flight, the drain ETA): those are shown, but do not make a new line.
 */
import type { UpgradeView } from "../api/view.js";
import { drainEta } from "./drain-eta.js";
import {
  formatSeconds,
  formatServices,
  formatStep,
  rollbackReason,
  stepsOf,
  upgradeDurationSeconds,
  waitingMessage,
} from "./format.js";

/** Why the upgrade rolls back, while it does (and once it did). */
function rollbackWhy(view: UpgradeView): string | undefined {
  const phase = view.status.phase;
  return phase === "RollingBack" || phase === "RolledBack" ? rollbackReason(view) : undefined;
}

/** The status block: one fact per line; the first line says how long the upgrade has run. */
export function progressBlock(view: UpgradeView, now: number): string[] {
  const s = view.status;
  const lines = [
    `${view.name}: ${formatServices(view)}  (${formatSeconds(upgradeDurationSeconds(view, now))})`,
    `  phase       ${s.phase} (${s.stage})${view.spec.paused ? "  PAUSED" : ""}`,
    `  weight      ${s.weight}%  step ${formatStep(view)} of [${stepsOf(view).join(",")}]`,
    `  confirmed   ${s.confirmed.ready}/${s.confirmed.total}`,
    `  old active  ${s.activeOld}${s.activeOld > 0 ? ` (oldest ${formatSeconds(s.oldestActiveAgeSeconds)})` : ""}  pinned ${s.pinned}`,
    `  dirty pods  ${s.dirtyPods.length === 0 ? "none" : s.dirtyPods.join(", ")}`,
    `  violations  ${s.violations}`,
  ];
  const why = rollbackWhy(view);
  if (why !== undefined) lines.push(`  why         ${why}`);
  const waiting = waitingMessage(view);
  if (waiting !== undefined) lines.push(`  waiting     ${waiting}`);
  const eta = drainEta(view);
  if (eta !== undefined) lines.push(`  drain ETA   ${eta}`);
  return lines;
}

/** The same facts on one line; zeros that say nothing are left out. */
export function progressLine(view: UpgradeView): string {
  const s = view.status;
  const parts = [
    `${s.phase}/${s.stage}${view.spec.paused ? " PAUSED" : ""}`,
    `weight ${s.weight}% step ${formatStep(view)}`,
    `confirmed ${s.confirmed.ready}/${s.confirmed.total}`,
  ];
  const why = rollbackWhy(view);
  if (why !== undefined) parts.push(`why: ${why}`);
  if (s.activeOld > 0)
    parts.push(`old active ${s.activeOld} (oldest ${formatSeconds(s.oldestActiveAgeSeconds)})`);
  if (s.pinned > 0) parts.push(`pinned ${s.pinned}`);
  if (s.dirtyPods.length > 0) parts.push(`dirty ${s.dirtyPods.join(",")}`);
  if (s.violations > 0) parts.push(`violations ${s.violations}`);
  const eta = drainEta(view);
  if (eta !== undefined) parts.push(`drain ETA ${eta}`);
  const waiting = waitingMessage(view);
  if (waiting !== undefined) parts.push(`waiting: ${waiting}`);
  return parts.join(" · ");
}

/**
 * What must differ for `watch` to print a new line: everything {@link progressLine} shows
 * except the counters that move on every status (calls in flight at `old` and the oldest
 * one's age, which the drain ETA follows). Whether calls are in flight at all still counts.
 */
export function progressKey(view: UpgradeView): string {
  const s = view.status;
  const waiting = s.conditions.find((c) => c.type === "Waiting" && c.status === "True");
  return JSON.stringify([
    s.phase,
    s.stage,
    view.spec.paused === true,
    s.weight,
    s.step,
    s.confirmed,
    s.activeOld > 0,
    s.pinned,
    s.dirtyPods,
    s.violations,
    waiting?.reason,
    rollbackWhy(view),
  ]);
}
