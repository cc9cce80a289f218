/** Why a trace store call failed; lets callers tell bad input from an unreachable backend. */
export const TraceStoreErrorKind = {
  /** A name or id that must never reach a key (not a DNS-1123 label, not a hex/UUID id). */
  invalidName: "invalid-name",
  /** An argument out of range (a weight outside 0..100, a non-finite time). */
  invalidArgument: "invalid-argument",
  /** The backend did not answer or refused the command (Redis down, timeout, script error). */
  unavailable: "unavailable",
  /** The store was closed by its owner. */
  closed: "closed",
} as const;
/** One of `TraceStoreErrorKind`'s values. */
export type TraceStoreErrorKind = (typeof TraceStoreErrorKind)[keyof typeof TraceStoreErrorKind];

/** Every error the trace stores throw: what failed (`op`), and why (`kind`, `cause`). */
export class TraceStoreError extends Error {
  override readonly name = "TraceStoreError";
  constructor(
    readonly kind: TraceStoreErrorKind,
    readonly op: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`trace store: ${op}: ${message}`, options);
  }
}
