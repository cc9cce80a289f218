/**
 * Test support for the dashboard's view logic: an UpgradeView built from the engine's
 * initial status with the fields a test names.
 */
import type { UpgradeView } from "../../api/view.js";
import { initialStatus } from "../../engine/status.js";
import type { HistoryEntry, UpgradeSpec } from "../../engine/types.js";

/** A view of upgrade `u` (auth-service v1→v2) created at `createdAt`, with `status` and `spec` merged in. */
export function viewOf(
  status: Partial<UpgradeView["status"]> = {},
  spec: Partial<UpgradeSpec> = {},
  createdAt = 0,
): UpgradeView {
  const { engine, ...base } = initialStatus(createdAt);
  return {
    name: "u",
    namespace: "default",
    enrolmentId: "u-000000",
    spec: { services: [{ name: "auth-service", from: "v1", to: "v2" }], ...spec },
    status: { ...base, stage: engine.stage, pendingCommands: 0, ...status },
    resourceVersion: "1",
    createdAt: new Date(createdAt).toISOString(),
  };
}

/** A history entry at `at` seconds. */
export function entry(atSeconds: number, phase: HistoryEntry["phase"], message = ""): HistoryEntry {
  return { at: atSeconds * 1000, phase, stage: "validate", message };
}
