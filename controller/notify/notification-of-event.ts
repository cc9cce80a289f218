/**
 * Which recorded Events become notifications: the reconciler's `PhaseChanged` Event
 * (`<from> → <to>`, then `: <why>` for a rollback or a failure). The engine's own Event for
 * the phase it enters says the same thing without the phase it left, and every other Event
 * (Waiting, refused commands, analysis results) is left to the Events themselves; long
 * waits come from long-waits.ts.
 */
import { Phase } from "../engine/phases.js";
import type { UpgradeEventNote } from "../ports/events.js";
import type { UpgradeKey } from "../ports/upgrade-store.js";
import { NotificationKind, type Notification } from "./notification.js";

/** The reason of the reconciler's phase-change Event. */
export const PHASE_CHANGED = "PhaseChanged";

/** Why a rollback started when the user aborted (the engine's `startRollback` reason). */
export const ABORTED_BY_THE_USER = "aborted by the user";

const PHASES: ReadonlySet<string> = new Set(Object.values(Phase));
const PHASE_CHANGE = /^(\w+) → (\w+)(?:: ([\s\S]*))?$/;

/** The notification an Event makes, or undefined when it makes none. */
export function notificationOfEvent(upgrade: UpgradeKey, note: UpgradeEventNote): Notification | undefined {
  if (note.reason !== PHASE_CHANGED) return undefined;
  const match = PHASE_CHANGE.exec(note.message);
  const from = match?.[1];
  const to = match?.[2];
  if (from === undefined || to === undefined || !PHASES.has(from) || !PHASES.has(to)) return undefined;
  const why = match?.[3];
  return {
    kind: kindOf(to, why),
    upgrade: upgrade.name,
    namespace: upgrade.namespace,
    phase: to,
    previousPhase: from,
    severity: note.type,
    reason: note.reason,
    message: note.message,
    at: note.at,
  };
}

function kindOf(to: string, why: string | undefined): NotificationKind {
  if (to !== Phase.RollingBack && to !== Phase.RolledBack) return NotificationKind.Phase;
  // The rollback of an aborted Upgrade keeps the abort as its reason until it has rolled back.
  return why === ABORTED_BY_THE_USER ? NotificationKind.Abort : NotificationKind.Rollback;
}
