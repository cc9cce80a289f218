/**
 * What the API shows of an Upgrade: its spec and the status fields of DESIGN §5, without the
 * engine's internal bookkeeping (that stays in the store for restarts).
 */
import type { UpgradeRecord } from "../ports/upgrade-store.js";
import type { UpgradeSpec, UpgradeStatus } from "../engine/types.js";

/** The public view of an Upgrade. */
export interface UpgradeView {
  readonly name: string;
  readonly spec: UpgradeSpec;
  readonly status: Omit<UpgradeStatus, "engine"> & {
    readonly stage: string;
    readonly pendingCommands: number;
  };
  readonly resourceVersion: string;
  readonly createdAt: string;
}

/** Projects a stored record to its public view. */
export function toView(record: UpgradeRecord): UpgradeView {
  const { engine, ...status } = record.status;
  return {
    name: record.id,
    spec: record.spec,
    status: { ...status, stage: engine.stage, pendingCommands: record.commands.length },
    resourceVersion: record.resourceVersion,
    createdAt: new Date(record.createdAt).toISOString(),
  };
}
