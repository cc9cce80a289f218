/**
 * `--serve` starts a new local mesh every time, from its topology: every service at its first
 * version, an empty route table, no pods of a new version. An upgrade the state file still
 * shows in progress was running on the previous mesh, which is gone with the process that ran
 * it, so it cannot resume: it is ended as Failed with the reason `MeshRestarted`, saying so,
 * instead of being resumed and then reported as reverted by a GitOps tool.
 */
import { TERMINAL_PHASES } from "../../engine/phases.js";
import type { UpgradeRecord, UpgradeStore } from "../../ports/upgrade-store.js";
import { failedStatus } from "../../reconciler/invalid-record.js";
import { phaseOf } from "../../reconciler/record-check.js";

/** The Failed condition's reason for an upgrade that ran on a previous local mesh. */
export const MESH_RESTARTED_REASON = "MeshRestarted";

/** Why an upgrade of a previous `--serve` run was ended. */
export const MESH_RESTARTED_MESSAGE =
  "ended because `npm start -- --serve` was restarted: the upgrade ran on the previous local mesh, " +
  "and the new one starts afresh from its topology (services at their first version, none of " +
  "Tranquil's routes, no pods of the new version), so there is nothing to resume. " +
  "Create the upgrade again to run it on this mesh.";

/** Ends every upgrade `store` holds in progress as Failed (MeshRestarted); returns them as ended. */
export async function endUpgradesOfPreviousMesh(store: UpgradeStore, now: number): Promise<UpgradeRecord[]> {
  const ended: UpgradeRecord[] = [];
  for (const u of await store.list()) {
    const phase = phaseOf(u);
    if (phase === null || TERMINAL_PHASES.includes(phase)) continue;
    ended.push(
      await store.updateStatus(
        u,
        u.resourceVersion,
        failedStatus(u.status, MESH_RESTARTED_REASON, MESH_RESTARTED_MESSAGE, now),
      ),
    );
  }
  return ended;
}
