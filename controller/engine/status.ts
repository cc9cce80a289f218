/**
 * The status a new Upgrade starts from.
 */
import { Phase, RouteMode, Stage } from "./phases.js";
import type { UpgradeStatus } from "./types.js";

/** The status of an Upgrade that has just been created: Validating, nothing applied. */
export function initialStatus(now: number): UpgradeStatus {
  return {
    phase: Phase.Validating,
    weight: 0,
    weightVersion: 0,
    step: -1,
    configEpoch: 0,
    confirmed: { ready: 0, total: 0 },
    activeOld: 0,
    oldestActiveAgeSeconds: 0,
    pinned: 0,
    dirtyPods: [],
    violations: 0,
    lostTransactions: 0,
    conditions: [],
    history: [{ at: now, phase: Phase.Validating, stage: Stage.Validate, message: "upgrade created" }],
    engine: {
      stage: Stage.Validate,
      stageSince: now,
      waitingSince: null,
      confirmedAt: null,
      pending: [],
      acked: [],
      routes: { mode: RouteMode.None, sentinel: false, pins: [] },
      confirmedEpoch: 0,
      originals: [],
      pins: [],
      lost: [],
      lastPinWriteAt: null,
      stragglers: 0,
      instants: {
        preparingAt: null,
        newStartedAt: null,
        doorOpenAt: null,
        stepStartedAt: null,
        cutoverAt: null,
        drainStartedAt: null,
        pinSnapshotAt: null,
        flipDecidedAt: null,
        flipAt: null,
        tranquilAt: null,
        weightZeroAt: null,
      },
      analysisFailures: 0,
      newStarted: false,
      newSubsetAdded: false,
      promoted: false,
      revertDetectedAt: null,
      handledCommands: [],
      reason: null,
      eventSeq: 0,
      forcedBreaks: 0,
    },
  };
}
