/**
 * What really happened, recorded by the world as it happens and never shown to the controller:
 * which versions served each transaction, every routing failure, and when each version last
 * served. The invariants are checked against this alone.
 */

/** Routing failures Envoy would report (response flags). */
export type FailureFlag = "NR" | "NC" | "UH" | "URX" | "DR" | "RESET";

/** One transaction's ground truth. */
export interface TxnTruth {
  readonly id: string;
  readonly kind: "ingress" | "bypass";
  readonly startAt: number;
  endAt: number;
  /** Whether the request left the gateway enrolled: by its TraceManager, or by a gateway stamp (ADR 0090). */
  enrolled: boolean;
  /** service → versions that served it. */
  readonly versions: Map<string, Set<string>>;
  mixed: boolean;
  failed: FailureFlag | null;
  /** A call answered with an application error; the transaction stops making calls. */
  appError: boolean;
}

/** The ledger. */
export interface GroundTruth {
  readonly txns: Map<string, TxnTruth>;
  mixedIngress: number;
  mixedBypass: number;
  readonly failures: Record<FailureFlag, number>;
  /** Failure descriptions (first few), for the report. */
  readonly failureNotes: string[];
  /** Calls routed to a pod of a train service after it began terminating. */
  routedToRemoved: number;
  /** Calls still being served by a pod when it exited. */
  killedInFlight: number;
  appErrors: number;
  calls: number;
  /** version → last time a call served there ended (train services only). */
  readonly lastCallEnd: Map<string, number>;
  /** version → last time a call started there. */
  readonly lastCallStart: Map<string, number>;
  /** Last end of a non-enrolled ingress transaction. */
  lastNonEnrolledEnd: number;
  /** When every gateway applied a weight of 100 (first time), else null. */
  cutoverAt: number | null;
  /** When the old version was first scaled down / deleted, else null. */
  oldRemovalStartedAt: number | null;
  /** When no proxy listed an old endpoint any more after removal, else null. */
  oldUnlistedAt: number | null;
  newRemovalStartedAt: number | null;
  /** Intervals during which some TraceManager was down or its pod dirty (for the G3 bound). */
  readonly dirtyIntervals: { from: number; to: number }[];
  /** Intervals during which the controller was down after a crash. */
  readonly controllerDown: { from: number; to: number }[];
  pinsWritten: boolean;
}

/** An empty ledger. */
export function createGroundTruth(): GroundTruth {
  return {
    txns: new Map(),
    mixedIngress: 0,
    mixedBypass: 0,
    failures: { NR: 0, NC: 0, UH: 0, URX: 0, DR: 0, RESET: 0 },
    failureNotes: [],
    routedToRemoved: 0,
    killedInFlight: 0,
    appErrors: 0,
    calls: 0,
    lastCallEnd: new Map(),
    lastCallStart: new Map(),
    lastNonEnrolledEnd: 0,
    cutoverAt: null,
    oldRemovalStartedAt: null,
    oldUnlistedAt: null,
    newRemovalStartedAt: null,
    dirtyIntervals: [],
    controllerDown: [],
    pinsWritten: false,
  };
}

/** Records that `version` of `service` served a call of `txn`; flags the transaction mixed if needed. */
export function recordServe(gt: GroundTruth, txn: TxnTruth, service: string, version: string): void {
  let set = txn.versions.get(service);
  if (set === undefined) {
    set = new Set();
    txn.versions.set(service, set);
  }
  set.add(version);
  if (set.size > 1 && !txn.mixed) {
    txn.mixed = true;
    if (txn.kind === "ingress") gt.mixedIngress += 1;
    else gt.mixedBypass += 1;
  }
}

/** Records a routing failure. */
export function recordFailure(gt: GroundTruth, txn: TxnTruth, flag: FailureFlag, note: string): void {
  gt.failures[flag] += 1;
  if (txn.failed === null) txn.failed = flag;
  if (gt.failureNotes.length < 5) gt.failureNotes.push(note);
}
