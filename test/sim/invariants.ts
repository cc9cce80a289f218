/**
 * The guarantees, checked from the world's ground truth after a run (never from what the
 * controller believes): G1 consistency, G2 zero downtime, G3 removal (never early, within the
 * bound), G5 no duplicate or lost action, and termination.
 */
import type { ControllerJournal } from "./controller-loop.js";
import type { SimScenario } from "./scenario.js";
import type { GroundTruth } from "./world/ground-truth.js";

/** Settings the G3 bound depends on (engine settings in force for the run). */
export interface BoundSettings {
  readonly settleMs: number;
  readonly graceMs: number;
  readonly pinIdleMs: number;
}

/** The G3 bound's terms, each from the settings or the model's worst-case delays (ms). */
export interface G3Bound {
  readonly observationMs: number;
  readonly settleMs: number;
  readonly alsFlushMs: number;
  /** One confirmed push with its grace period (counted twice). */
  readonly confirmedPushMs: number;
  readonly endpointRemovalMs: number;
  /** Added by the run: pin idle time when pins were written, dirty and controller-down time in the window. */
  readonly extrasMs: number;
  readonly totalMs: number;
}

/** DESIGN §2 G3: observation interval + settle + ALS flush + two confirmed pushes with grace + endpoint removal. */
export function g3Bound(s: SimScenario, settings: BoundSettings, extrasMs = 0): G3Bound {
  const observationMs = s.heartbeatMs + s.tickMs;
  // The slowest proxy receives a push after the capped tail plus the laggard's extra delay; its
  // TraceManager reports it at the next heartbeat, the controller sees it at the next tick.
  const confirmedPushMs = s.push.cap + s.laggardExtraMs + s.heartbeatMs + s.tickMs + settings.graceMs;
  const endpointRemovalMs = s.endpointLag.cap;
  const base = observationMs + settings.settleMs + s.alsFlushMs + 2 * confirmedPushMs + endpointRemovalMs;
  return {
    observationMs,
    settleMs: settings.settleMs,
    alsFlushMs: s.alsFlushMs,
    confirmedPushMs,
    endpointRemovalMs,
    extrasMs,
    totalMs: base + extrasMs,
  };
}

/** Summed length of the parts of `intervals` inside [from, to]. */
function overlap(intervals: readonly { from: number; to: number }[], from: number, to: number): number {
  let sum = 0;
  for (const i of intervals) sum += Math.max(0, Math.min(i.to, to) - Math.max(i.from, from));
  return sum;
}

/** What a run measured for G3. */
export interface G3Measure {
  /** The last moment `old` was needed: its last call's end, the last non-enrolled ingress transaction's end, the cutover. */
  readonly lastNeededAt: number;
  /** When no proxy listed an `old` endpoint any more. */
  readonly removedAt: number;
  readonly measuredMs: number;
  readonly bound: G3Bound;
}

/** Computes the G3 measure when `old` was removed. */
export function measureG3(s: SimScenario, settings: BoundSettings, truth: GroundTruth): G3Measure | null {
  if (truth.oldUnlistedAt === null) return null;
  const lastNeededAt = Math.max(
    truth.lastCallEnd.get(s.oldVersion) ?? 0,
    truth.lastNonEnrolledEnd,
    truth.cutoverAt ?? 0,
  );
  const removedAt = truth.oldUnlistedAt;
  // Waiting while a pod is dirty or the controller is down is required (G4, G5): both extend the bound.
  const dirty = overlap(truth.dirtyIntervals, lastNeededAt, removedAt);
  const down = overlap(truth.controllerDown, lastNeededAt, removedAt);
  const interruptions = truth.dirtyIntervals.length + truth.controllerDown.length;
  const extras =
    (truth.pinsWritten ? settings.pinIdleMs : 0) +
    dirty +
    down +
    (dirty + down > 0 ? interruptions * (s.heartbeatMs + s.tickMs) : 0);
  return {
    lastNeededAt,
    removedAt,
    measuredMs: removedAt - lastNeededAt,
    bound: g3Bound(s, settings, extras),
  };
}

/** Which terminal phase the run must reach. */
export type ExpectedOutcome = "Succeeded" | "RolledBack";

/** Every violated guarantee of a run, as one line each (empty when the run is clean). */
export function checkInvariants(
  s: SimScenario,
  settings: BoundSettings,
  truth: GroundTruth,
  journal: ControllerJournal,
  finalPhase: string,
  expected: ExpectedOutcome,
): string[] {
  const v: string[] = [];
  if (truth.mixedIngress > 0)
    v.push(`G1: ${truth.mixedIngress} ingress transaction(s) served by two versions of one service`);
  const f = truth.failures;
  const failures = f.NR + f.NC + f.UH + f.URX + f.DR + f.RESET;
  if (failures > 0) {
    v.push(
      `G2: ${failures} routing failure(s) NR=${f.NR} NC=${f.NC} UH=${f.UH} URX=${f.URX} DR=${f.DR}: ${truth.failureNotes.join("; ")}`,
    );
  }
  if (truth.routedToRemoved > 0) v.push(`G2: ${truth.routedToRemoved} call(s) routed to a terminating pod`);
  if (truth.killedInFlight > 0) v.push(`G2: ${truth.killedInFlight} call(s) cut off when their pod exited`);
  const oldEnd = truth.lastCallEnd.get(s.oldVersion) ?? 0;
  if (truth.oldRemovalStartedAt !== null && oldEnd > truth.oldRemovalStartedAt) {
    v.push(`G3: old removed at ${truth.oldRemovalStartedAt} before its last call ended at ${oldEnd}`);
  }
  if (expected === "Succeeded") {
    const g3 = measureG3(s, settings, truth);
    if (g3 !== null && g3.measuredMs > g3.bound.totalMs) {
      v.push(`G3: old removed ${g3.measuredMs} ms after it was last needed; bound ${g3.bound.totalMs} ms`);
    }
  }
  if (journal.duplicates.length > 0) v.push(`G5: duplicate action(s) ${journal.duplicates.join(", ")}`);
  if (journal.lost.length > 0) v.push(`G5: lost action(s) ${journal.lost.join(", ")}`);
  if (journal.terminalAt === null) v.push(`termination: still ${finalPhase} after ${s.maxVirtualMs} ms`);
  else if (finalPhase !== expected) v.push(`outcome: ${finalPhase}, expected ${expected}`);
  return v;
}
