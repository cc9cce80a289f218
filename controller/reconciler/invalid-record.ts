/**
 * Statuses that end an Upgrade outside the engine: Failed, with a Failed condition that says
 * why, and nothing left to execute; routes and workloads stay as they are (a Failed upgrade's
 * routing stays in its last consistent state, DESIGN §4.6). One is for a stored Upgrade the
 * reconciler cannot drive (no status, an unknown phase, a spec without services).
 */
import { Phase, Stage } from "../engine/phases.js";
import { initialStatus } from "../engine/status.js";
import { ConditionType, type Condition, type UpgradeStatus } from "../engine/types.js";
import type { UpgradeRecord } from "../ports/upgrade-store.js";
import { hasUsableStatus } from "./record-check.js";

/** The condition reason of an Upgrade ended because its stored record is invalid. */
export const INVALID_RECORD_REASON = "InvalidRecord";

/** `record`'s status (or a fresh one when it has none usable) moved to Failed for `problems`. */
export function failedForInvalidRecord(
  record: UpgradeRecord,
  problems: readonly string[],
  now: number,
): UpgradeStatus {
  const message =
    `the stored Upgrade cannot be reconciled: ${problems.join("; ")}. ` +
    "Nothing more is done for it (routes and workloads stay as they are): delete it and create it again.";
  const base: UpgradeStatus = hasUsableStatus(record) ? record.status : initialStatus(now);
  return failedStatus(base, INVALID_RECORD_REASON, message, now);
}

/**
 * `base` ended as Failed outside the engine: a Failed condition with `reason` and `message`,
 * a history line, and nothing left pending (so nothing more is executed).
 */
export function failedStatus(
  base: UpgradeStatus,
  reason: string,
  message: string,
  now: number,
): UpgradeStatus {
  const failed: Condition = {
    type: ConditionType.Failed,
    status: "True",
    reason,
    message,
    lastTransitionTime: now,
  };
  return {
    ...base,
    phase: Phase.Failed,
    conditions: [...base.conditions.filter((c) => c.type !== ConditionType.Failed), failed],
    history: [...base.history, { at: now, phase: Phase.Failed, stage: Stage.Done, message }],
    engine: {
      ...base.engine,
      stage: Stage.Done,
      stageSince: now,
      waitingSince: null,
      pending: [],
      reason: message,
    },
  };
}
