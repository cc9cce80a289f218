/**
 * The watermark W a pod certifies: every admission at or before W is durably recorded.
 *
 * While clean, W = min(now − lag, oldest admission not yet durable − 1), never moving backwards.
 * The lag keeps W behind Checks that Envoy has started but the TraceManager has not seen yet
 * (Envoy's ext_authz timeout), since such a Check could still fail open. While dirty, W stays
 * where it was.
 */
export class Watermark {
  private w: number;

  constructor(
    start: number,
    private readonly lagMs: number,
  ) {
    // Nothing before the TraceManager started can be certified by it.
    this.w = start;
  }

  /** Advances (when clean) and returns W. */
  next(now: number, dirty: boolean, oldestPendingAt: number | null): number {
    if (dirty) return this.w;
    let candidate = now - this.lagMs;
    if (oldestPendingAt !== null) candidate = Math.min(candidate, oldestPendingAt - 1);
    if (candidate > this.w) this.w = candidate;
    return this.w;
  }

  get value(): number {
    return this.w;
  }
}
