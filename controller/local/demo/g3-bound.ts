/**
 * The G3 bound (DESIGN §2): how long after its last needed request an old version may still
 * be serving-capable, computed from the settings in force. It is the sum of the observation
 * interval, the settle window, the ALS flush, two confirmed config pushes with their grace
 * periods, and the endpoint removal.
 */

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
}

/** The bound and its terms, for the report. */
export interface G3Bound {
  readonly totalMs: number;
  readonly terms: Readonly<Record<string, number>>;
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
  return { totalMs: Object.values(terms).reduce((a, b) => a + b, 0), terms };
}
