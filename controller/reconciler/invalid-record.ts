/**
 * The status that ends a stored Upgrade the reconciler cannot drive (a record without a
 * status, with an unknown phase, or a spec without services): Failed, with a Failed condition
 * that names every problem. Nothing is executed for it; routes and workloads stay as they are
 * (a Failed upgrade's routing stays in its last consistent state, DESIGN §4.6).
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
  const failed: Condition = {
    type: ConditionType.Failed,
    status: "True",
    reason: INVALID_RECORD_REASON,
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
