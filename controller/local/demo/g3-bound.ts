/**
 * The G3 bound (DESIGN §2): how long after its last needed request an old version may still
 * be serving-capable. {@link g3Bound} is DESIGN's sum from the settings in force (the
 * observation interval, the settle window, the ALS flush, two confirmed config pushes with
 * their grace periods, the endpoint removal), with the slowest push the mesh is configured for.
 * {@link removalBound} is the bound one removal is graded against (ADR 0093): the controller's
 * own budget, from the settings and the windows the drain passed through, plus what it waited
 * for and does not control (proxies applying writes, uncertified pods, a pause), as measured.
 */
import { lateTicksMs, WaitTerm, type WaitBreakdown } from "../../engine/wait-log.js";

/** The settings the bound is computed from, in milliseconds. */
export interface G3Inputs {
  /** Reconcile tick interval plus the TraceManager heartbeat (how stale an observation can be). */
  readonly reconcileIntervalMs: number;
  readonly heartbeatMs: number;
  readonly settleMs: number;
  readonly alsFlushMs: number;
  /** The slowest config push to a proxy (tail included) plus its worker lag. */
  readonly maxPushMs: number;
  readonly graceMs: number;
  /** How long an endpoint removal takes to reach every proxy. */
  readonly endpointRemovalMs: number;
  /** How long a pin must see no activity before it ends. */
  readonly pinIdleMs: number;
  /** How far behind its report a clean TraceManager's watermark stays. */
  readonly watermarkLagMs: number;
}

/** The bound and its terms, for the report. */
export interface G3Bound {
  readonly totalMs: number;
  readonly terms: Readonly<Record<string, number>>;
  /** The settings it was computed from (a removal's own bound starts from them). */
  readonly inputs: G3Inputs;
}

/** Computes the G3 bound. */
export function g3Bound(i: G3Inputs): G3Bound {
  const confirmedPush = i.maxPushMs + i.heartbeatMs + i.reconcileIntervalMs + i.graceMs;
  const terms = {
    observationInterval: i.reconcileIntervalMs + i.heartbeatMs,
    settleWindow: i.settleMs,
    alsFlush: i.alsFlushMs,
    twoConfirmedPushes: 2 * confirmedPush,
    endpointRemoval: i.endpointRemovalMs,
  };
  return { totalMs: sum(terms), terms, inputs: i };
}

/** One removal's bound: the controller's budget plus the measured waits it does not control. */
export interface RemovalBound {
  readonly totalMs: number;
  /** What the controller's own part may take: settings times the windows it passed through. */
  readonly budgetMs: number;
  readonly budget: Readonly<Record<string, number>>;
  /** Measured waits on what the controller does not control. */
  readonly uncontrolledMs: number;
  readonly uncontrolled: Readonly<Record<string, number>>;
}

/**
 * The waits the controller does not control: the mesh's pushes, uncertified pods, a pause, and
 * ticks that came late because the machine did not run the controller on time.
 */
const UNCONTROLLED: readonly WaitTerm[] = [WaitTerm.Confirmations, WaitTerm.DirtyPods, WaitTerm.Paused];

/**
 * The bound for a removal whose time after its last needed request broke down as `waited`.
 * Budget: one observation of the last call's end (reconcile interval + heartbeat) and the ALS
 * flush; each settle window and grace period the drain passed through; a heartbeat and the
 * watermark lag for each wait on clean pods to certify an instant; the pin idle time (and one
 * more observation) when pins were waited for; one reconcile interval per segment of the wait
 * log (the engine moves on at its next tick).
 */
export function removalBound(i: G3Inputs, waited: WaitBreakdown): RemovalBound {
  const segments = Object.values(waited.segments).reduce((a, b) => a + b, 0);
  const observation = i.reconcileIntervalMs + i.heartbeatMs;
  const pinned = (waited.segments[WaitTerm.Pins] ?? 0) > 0;
  const budget = {
    observation,
    alsFlush: i.alsFlushMs,
    settleWindows: i.settleMs * Math.max(1, waited.segments[WaitTerm.Settle] ?? 0),
    gracePeriods: i.graceMs * (waited.segments[WaitTerm.Grace] ?? 0),
    pinIdle: pinned ? i.pinIdleMs + observation : 0,
    certifications: (i.heartbeatMs + i.watermarkLagMs) * (waited.segments[WaitTerm.Certifying] ?? 0),
    ticks: i.reconcileIntervalMs * segments,
  };
  const uncontrolled = {
    ...Object.fromEntries(UNCONTROLLED.map((term) => [term, waited.ms[term] ?? 0])),
    lateTicks: lateTicksMs(waited.within, i.reconcileIntervalMs),
  };
  const budgetMs = sum(budget);
  const uncontrolledMs = sum(uncontrolled);
  return { totalMs: budgetMs + uncontrolledMs, budgetMs, budget, uncontrolledMs, uncontrolled };
}

function sum(terms: Readonly<Record<string, number>>): number {
  return Object.values(terms).reduce((a, b) => a + b, 0);
}
