/**
 * `tranquil status`: a table of upgrades, or one upgrade's details with its conditions and
 * recent history.
 */
import type { UpgradeView } from "../api/view.js";
import {
  clockTime,
  formatSeconds,
  formatServices,
  formatStep,
  phaseEnteredAt,
  rollbackReason,
  roundPercentages,
  stepsOf,
  table,
  waitingMessage,
} from "./format.js";
import { TERMINAL_PHASES } from "../engine/phases.js";

/** How many history entries `status <name>` shows. */
export const RECENT_HISTORY = 10;

/** One row per upgrade, oldest first. */
export function renderUpgradeTable(views: readonly UpgradeView[], now: number): string[] {
  if (views.length === 0)
    return ["no upgrades yet; start one with `tranquil upgrade <service> --from <v> --to <v>`"];
  return table(
    ["NAME", "PHASE", "WEIGHT", "STEP", "CONFIRMED", "OLD ACTIVE", "AGE", "SERVICES"],
    views.map((v) => [
      v.name,
      v.spec.paused ? `${v.status.phase} (paused)` : v.status.phase,
      `${v.status.weight}%`,
      formatStep(v),
      `${v.status.confirmed.ready}/${v.status.confirmed.total}`,
      String(v.status.activeOld),
      formatSeconds((now - Date.parse(v.createdAt)) / 1000),
      formatServices(v),
    ]),
  );
}

/** Everything about one upgrade. */
export function renderUpgradeDetails(view: UpgradeView): string[] {
  const s = view.status;
  const lines = [
    `name:        ${view.name}`,
    `services:    ${formatServices(view)}`,
    `phase:       ${s.phase} (${s.stage})${view.spec.paused ? ", paused" : ""}`,
    `weight:      ${s.weight}%  step ${formatStep(view)} of [${stepsOf(view).join(",")}]`,
    `confirmed:   ${s.confirmed.ready}/${s.confirmed.total} (config epoch ${s.configEpoch}, weight version ${s.weightVersion})`,
    `old active:  ${s.activeOld} (oldest ${formatSeconds(s.oldestActiveAgeSeconds)}), pinned ${s.pinned}`,
    `dirty pods:  ${s.dirtyPods.length === 0 ? "none" : s.dirtyPods.join(", ")}`,
    `violations:  ${s.violations}, lost transactions ${s.lostTransactions}`,
    `created:     ${view.createdAt}`,
  ];
  const ended = TERMINAL_PHASES.includes(s.phase) ? phaseEnteredAt(view) : undefined;
  if (ended !== undefined)
    lines.push(
      `ended:       ${new Date(ended).toISOString()} (after ${formatSeconds((ended - Date.parse(view.createdAt)) / 1000)})`,
    );
  const why = rollbackReason(view);
  if (why !== undefined && (s.phase === "RollingBack" || s.phase === "RolledBack"))
    lines.push(`why:         ${why}`);
  if (s.pendingCommands > 0)
    lines.push(`pending:     ${s.pendingCommands} command(s) not yet handled by the controller`);
  const waiting = waitingMessage(view);
  if (waiting !== undefined) lines.push(`waiting:     ${waiting}`);
  if (s.drainWaits !== undefined) lines.push(`drain:       waited for ${describeDrainWaits(s.drainWaits)}`);
  lines.push("conditions:");
  if (s.conditions.length === 0) lines.push("  none");
  for (const c of s.conditions)
    lines.push(`  ${c.type}=${c.status} ${c.reason}: ${roundPercentages(c.message)}`);
  lines.push("recent history (UTC):");
  for (const h of s.history.slice(-RECENT_HISTORY))
    lines.push(`  ${clockTime(h.at)}  ${h.phase}/${h.stage}  ${roundPercentages(h.message)}`);
  return lines;
}

/** What the drain waited for, the largest first: "settle 2.2 s, confirmations 1.4 s". */
export function describeDrainWaits(waits: Readonly<Record<string, number>>): string {
  const parts = Object.entries(waits)
    .filter(([, seconds]) => seconds >= 0.1)
    .sort((a, b) => b[1] - a[1])
    .map(([term, seconds]) => `${term} ${formatSeconds(seconds)}`);
  return parts.length === 0 ? "nothing yet" : parts.join(", ");
}
