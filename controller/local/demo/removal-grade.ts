/**
 * G3, graded from outside the controller: each old version's removal against its own last
 * served request (the old instances' measurement), broken down by what the drain waited for
 * (the upgrade's wait log) and graded against that removal's own bound (ADR 0093).
 */
import type { UpgradeRecord } from "../../ports/upgrade-store.js";
import { describeDrainWaits } from "../../cli/status-view.js";
import { breakDown, type WaitTerm } from "../../engine/wait-log.js";
import type { Removal } from "../mesh-workloads.js";
import { removalBound, type G3Bound, type RemovalBound } from "./g3-bound.js";

/** One old version's removal, graded (G3). */
export interface RemovalGrade {
  readonly service: string;
  readonly version: string;
  /** Last application request the old instances served (their own measurement). */
  readonly lastServedAt: string | null;
  readonly removalRequestedAt: string;
  /** Removal minus last served request; never negative when G3 holds. */
  readonly afterLastServedMs: number | null;
  /** The later of the last served request and the cutover: from then on old is not needed. */
  readonly lastNeededAt: string | null;
  /** Removal minus the last needed moment: what the bound limits. */
  readonly afterLastNeededMs: number | null;
  /** What the drain waited for in that time (ms by term); empty without a wait log. */
  readonly waited: Readonly<Partial<Record<WaitTerm, number>>>;
  /** This removal's bound; null without the upgrade's wait log (then DESIGN's bound applies). */
  readonly bound: RemovalBound | null;
  readonly boundMs: number;
  readonly withinBound: boolean;
}

/** Grades removals; `upgrades` are the upgrades' final records (their wait logs and cutovers). */
export function gradeRemovals(
  removals: readonly Removal[],
  design: G3Bound,
  upgrades: readonly UpgradeRecord[],
): RemovalGrade[] {
  return removals.map((r) => {
    const upgrade = upgradeOf(r, upgrades);
    const engine = upgrade?.status.engine;
    const cutoverAt = engine?.instants.cutoverAt ?? null;
    const neededAt =
      r.lastServedAt === null && cutoverAt === null ? null : Math.max(r.lastServedAt ?? 0, cutoverAt ?? 0);
    const after = r.lastServedAt === null ? null : r.requestedAt - r.lastServedAt;
    const afterNeeded = neededAt === null ? null : r.requestedAt - neededAt;
    const log = engine?.waitLog;
    const waited = log === undefined || neededAt === null ? null : breakDown(log, neededAt, r.requestedAt);
    const bound = waited === null ? null : removalBound(design.inputs, waited);
    const boundMs = bound?.totalMs ?? design.totalMs;
    return {
      service: r.service,
      version: r.version,
      lastServedAt: r.lastServedAt === null ? null : new Date(r.lastServedAt).toISOString(),
      removalRequestedAt: new Date(r.requestedAt).toISOString(),
      afterLastServedMs: after,
      lastNeededAt: neededAt === null ? null : new Date(neededAt).toISOString(),
      afterLastNeededMs: afterNeeded,
      waited: waited?.ms ?? {},
      bound,
      boundMs,
      withinBound: after === null || (after >= 0 && (afterNeeded ?? 0) <= boundMs),
    };
  });
}

/** The upgrade that removed `r`: one of its services went from r's version, drained before r. */
function upgradeOf(r: Removal, upgrades: readonly UpgradeRecord[]): UpgradeRecord | undefined {
  return upgrades
    .filter(
      (u) =>
        u.spec.services.some((s) => s.name === r.service && s.from === r.version) &&
        (u.status.engine.instants.tranquilAt ?? Infinity) <= r.requestedAt,
    )
    .sort((a, b) => (a.status.engine.instants.tranquilAt ?? 0) - (b.status.engine.instants.tranquilAt ?? 0))
    .at(-1);
}

/** The breakdown as one line: the largest waits first. */
export function describeWaits(waited: Readonly<Partial<Record<WaitTerm, number>>>): string {
  return describeDrainWaits(
    Object.fromEntries(Object.entries(waited).map(([term, ms]) => [term, ms / 1000])),
  );
}
