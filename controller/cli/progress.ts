/**
 * What `tranquil watch` shows of an upgrade: a status block (redrawn on a terminal) or one
 * line per change (logs, CI), both built from the view the controller streams.
 */
import type { UpgradeView } from "../api/view.js";
import { drainEta } from "./drain-eta.js";
import { formatSeconds, formatServices, formatStep, stepsOf, waitingMessage } from "./format.js";

/** The status block: one fact per line. */
export function progressBlock(view: UpgradeView): string[] {
  const s = view.status;
  const lines = [
    `${view.name}: ${formatServices(view)}`,
    `  phase       ${s.phase} (${s.stage})${view.spec.paused ? "  PAUSED" : ""}`,
    `  weight      ${s.weight}%  step ${formatStep(view)} of [${stepsOf(view).join(",")}]`,
    `  confirmed   ${s.confirmed.ready}/${s.confirmed.total}`,
    `  old active  ${s.activeOld}${s.activeOld > 0 ? ` (oldest ${formatSeconds(s.oldestActiveAgeSeconds)})` : ""}  pinned ${s.pinned}`,
    `  dirty pods  ${s.dirtyPods.length === 0 ? "none" : s.dirtyPods.join(", ")}`,
    `  violations  ${s.violations}`,
  ];
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
