/**
 * Engine settings (DESIGN §4.9). Every default is a setting; the spec overrides the ones it
 * names (stepInterval, drain.*), and the demo may pass faster ones.
 */
import type { OnTimeout } from "../upgrade-spec/schema.js";

/** What Finalizing does with the old Deployment. */
export const OldVersionPolicy = { ScaleToZero: "scaleToZero", Delete: "delete" } as const;
/** What Finalizing does with the old Deployment. */
export type OldVersionPolicy = (typeof OldVersionPolicy)[keyof typeof OldVersionPolicy];

/** All timing and limit settings the engine uses, durations in milliseconds. */
export interface Settings {
  /** TraceManager heartbeat; a pod silent for `staleAfterHeartbeats` of these is treated as unconfirmed and dirty. */
  readonly heartbeatMs: number;
  /** Heartbeats a pod may miss before its data counts as stale. */
  readonly staleAfterHeartbeats: number;
  /** How long gateway TraceManagers cache the weight (informational; part of the G3 bound). */
  readonly weightCacheMs: number;
  /** Wait after every confirmation (Envoy's worker threads switch after the main thread). */
  readonly graceMs: number;
  /** How long a drain condition must hold continuously. */
  readonly settleMs: number;
  /** A pin has ended when its transaction shows no activity for this long. */
  readonly pinIdleMs: number;
  /** Envoy's ALS flush interval (part of the G3 bound). */
  readonly alsFlushMs: number;
  /** The TraceManager's durable-admission budget (informational). */
  readonly checkBudgetMs: number;
  /** A transaction older than this may be declared lost (only while old reports no active request). */
  readonly maxTransactionAgeMs: number;
  /** At most this many pins; above it, wait. */
  readonly pinsCap: number;
  /** At least this long between two pin writes (each is a mesh-wide push). */
  readonly pinWriteIntervalMs: number;
  /** Analysis window per step. */
  readonly analysisIntervalMs: number;
  /** Failed analyses tolerated before rolling back. */
  readonly failureLimit: number;
  /** How long Draining may take before `onTimeout` applies. */
  readonly drainTimeoutMs: number;
  /** What happens when the drain timeout passes. */
  readonly onTimeout: OnTimeout;
  /** Scale `old` to zero or delete it in Finalizing. */
  readonly oldVersionPolicy: OldVersionPolicy;
  /** The enrolment header (install-wide). */
  readonly enrolmentHeader: string;
  /** Entries kept in `status.history`. */
  readonly historyLimit: number;
}

/** DESIGN §4.9 defaults. */
export const DEFAULT_SETTINGS: Settings = {
  heartbeatMs: 1_000,
  staleAfterHeartbeats: 5,
  weightCacheMs: 500,
  graceMs: 1_000,
  settleMs: 2_000,
  pinIdleMs: 30_000,
  alsFlushMs: 1_000,
  checkBudgetMs: 20,
  maxTransactionAgeMs: 10 * 60_000,
  pinsCap: 500,
  pinWriteIntervalMs: 1_000,
  analysisIntervalMs: 30_000,
  failureLimit: 0,
  drainTimeoutMs: 30 * 60_000,
  onTimeout: "wait",
  oldVersionPolicy: OldVersionPolicy.ScaleToZero,
  enrolmentHeader: "x-tranquil-release",
  historyLimit: 50,
};

/** Defaults overridden by the given settings. */
export function makeSettings(overrides: Partial<Settings> = {}): Settings {
  return { ...DEFAULT_SETTINGS, ...overrides };
}
