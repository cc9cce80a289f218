/**
 * Time-bucket math shared by both stores, so that they expire the same records at the same moment.
 *
 * Active records are placed in the bucket of the store clock when they are created and stay there.
 * Bucket `b` covers `[b·B, (b+1)·B)`; it expires once `(b+1)·B + maxAge ≤ now`, so a record lives
 * at least `maxAge` and at most `maxAge + B`. Queries and look-ups only see live buckets, whether or
 * not `sweep()` has run yet.
 */

/** Defaults of the trace stores (DESIGN §4.9: maxTransactionAge 10 min). */
export const STORE_DEFAULTS = {
  maxTransactionAgeMs: 600_000,
  /** Buckets per maxTransactionAge when bucketMs is not given. */
  bucketsPerMaxAge: 10,
  /** Width of the outbound statistics buckets. */
  statsBucketMs: 10_000,
  /** Violations and expiries kept for `recent`, per service. */
  recentLimit: 100,
} as const;

/** The bucket geometry of one store. */
export interface BucketPlan {
  readonly bucketMs: number;
  readonly maxAgeMs: number;
}

/** Builds a plan from options, defaulting the bucket width to maxAge / 10. */
export function bucketPlan(maxAgeMs?: number, bucketMs?: number): BucketPlan {
  const maxAge = maxAgeMs ?? STORE_DEFAULTS.maxTransactionAgeMs;
  const width = bucketMs ?? Math.max(1, Math.ceil(maxAge / STORE_DEFAULTS.bucketsPerMaxAge));
  if (!(maxAge > 0) || !(width > 0) || !Number.isFinite(maxAge) || !Number.isFinite(width)) {
    throw new RangeError(
      `trace store: bucket plan needs positive maxAgeMs and bucketMs (got ${maxAge}, ${width})`,
    );
  }
  return { bucketMs: width, maxAgeMs: maxAge };
}

/** The bucket that holds time `t`. */
export function bucketOf(t: number, width: number): number {
  return Math.floor(t / width);
}

/** The newest bucket that has expired at `now` (all older ones have too). */
export function lastExpiredBucket(now: number, plan: BucketPlan): number {
  return Math.floor((now - plan.maxAgeMs) / plan.bucketMs) - 1;
}

/**
 * The buckets a look-up reads at `now`: the current one first (where new records go), then the
 * next one (a writer whose clock runs ahead, by up to one bucket, may already have used it), then
 * the older live ones, newest first.
 */
export function lookupBuckets(now: number, plan: BucketPlan): number[] {
  const cur = bucketOf(now, plan.bucketMs);
  const out = [cur, cur + 1];
  for (let b = cur - 1; b > lastExpiredBucket(now, plan); b--) out.push(b);
  return out;
}

/** The same buckets in time order, oldest first, as the queries read them. */
export function liveBuckets(now: number, plan: BucketPlan): number[] {
  return lookupBuckets(now, plan).sort((a, b) => a - b);
}

/** True when bucket `b` has expired at `now`. */
export function isExpired(b: number, now: number, plan: BucketPlan): boolean {
  return b <= lastExpiredBucket(now, plan);
}

/**
 * The stats buckets a `versionStats` window reads: from the bucket holding `sinceMs` (so up to one
 * bucket of samples before `sinceMs` count) to the current one, never older than `retentionMs`.
 */
export function statsBuckets(sinceMs: number, now: number, width: number, retentionMs: number): number[] {
  const first = bucketOf(Math.max(sinceMs, now - retentionMs), width);
  const last = bucketOf(now, width);
  const out: number[] = [];
  for (let b = first; b <= last; b++) out.push(b);
  return out;
}
