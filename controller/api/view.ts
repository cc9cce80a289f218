/**
 * What the API shows of an Upgrade: its spec and the status fields of DESIGN §5, without the
 * engine's internal bookkeeping (that stays in the store for restarts).
 */
import { pendingCommands, type UpgradeRecord } from "../ports/upgrade-store.js";
import type { UpgradeSpec, UpgradeStatus, WaitSegment } from "../engine/types.js";
import { breakDown, type WaitTerm } from "../engine/wait-log.js";

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
    /**
     * What the drain waited for, in seconds by term, from the cutover until the old version's
     * removal was requested (or until now): absent before the cutover (wait-log.ts).
     */
    readonly drainWaits?: Readonly<Partial<Record<WaitTerm, number>>>;
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
    status: {
      ...status,
      stage: engine.stage,
      pendingCommands: pendingCommands(record).length,
      ...drainWaitsOf(engine.waitLog ?? []),
    },
    resourceVersion: record.resourceVersion,
    createdAt: new Date(record.createdAt).toISOString(),
  };
}

function drainWaitsOf(log: readonly WaitSegment[]): { drainWaits?: Partial<Record<WaitTerm, number>> } {
  const first = log[0];
  const last = log.at(-1);
  if (first === undefined || last === undefined) return {};
  const { ms } = breakDown(log, first.since, last.since + last.ms);
  return {
    drainWaits: Object.fromEntries(Object.entries(ms).map(([term, v]) => [term, Math.round(v / 100) / 10])),
  };
}
