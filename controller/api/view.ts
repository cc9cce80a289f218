/**
 * What the API shows of an Upgrade: its spec and the status fields of DESIGN §5, without the
 * engine's internal bookkeeping (that stays in the store for restarts).
 */
import { pendingCommands, type UpgradeRecord } from "../ports/upgrade-store.js";
import type { UpgradeSpec, UpgradeStatus } from "../engine/types.js";

/** The public view of an Upgrade. */
export interface UpgradeView {
  readonly name: string;
  readonly namespace: string;
  /** The id Tranquil's routes and the enrolment header carry. */
  readonly enrolmentId: string;
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
    name: record.name,
    namespace: record.namespace,
    enrolmentId: record.id,
    spec: record.spec,
    status: { ...status, stage: engine.stage, pendingCommands: pendingCommands(record).length },
    resourceVersion: record.resourceVersion,
    createdAt: new Date(record.createdAt).toISOString(),
  };
}
