import { type BucketPlan, STORE_DEFAULTS, bucketPlan } from "./buckets.js";

/** Options both stores share. */
export interface TraceStoreOptions {
  /** Epoch-millisecond clock; places records in buckets and dates queries. Default `Date.now`. */
  readonly clock?: () => number;
  /** Active records older than this (plus up to one bucket) expire and are reported. Default 10 min. */
  readonly maxTransactionAgeMs?: number;
  /** Width of the expiry buckets. Default maxTransactionAge / 10. */
  readonly bucketMs?: number;
  /** Recent violations and expiries kept per service. Default 100. */
  readonly recentLimit?: number;
  /** Width of the outbound statistics buckets. Default 10 s. */
  readonly statsBucketMs?: number;
  /** How far back `versionStats` can look. Default maxTransactionAge. */
  readonly statsRetentionMs?: number;
}

/** The options with every default filled in. */
export interface ResolvedStoreOptions {
  readonly clock: () => number;
  readonly plan: BucketPlan;
  readonly recentLimit: number;
  readonly statsBucketMs: number;
  readonly statsRetentionMs: number;
}

/** Fills in the defaults. */
export function resolveStoreOptions(o: TraceStoreOptions): ResolvedStoreOptions {
  const plan = bucketPlan(o.maxTransactionAgeMs, o.bucketMs);
  return {
    clock: o.clock ?? Date.now,
    plan,
    recentLimit: o.recentLimit ?? STORE_DEFAULTS.recentLimit,
    statsBucketMs: o.statsBucketMs ?? STORE_DEFAULTS.statsBucketMs,
    statsRetentionMs: o.statsRetentionMs ?? plan.maxAgeMs,
  };
}
