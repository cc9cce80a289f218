import {
  type BucketPlan,
  bucketOf,
  isExpired,
  lastExpiredBucket,
  liveBuckets,
  lookupBuckets,
} from "./buckets.js";

/**
 * How both stores keep an end whose start is not recorded yet (an "early end", ADR 0086): it is
 * cancelled by a later start of the same transaction (and, for calls, version) whose time is at
 * most `slackMs` after the end's, and it expires with its record's bucket.
 */
export const EARLY_ENDS = {
  /** A start may be this much later than its end and still cancel it (rounding, clock steps). */
  slackMs: 1_000,
  /** Early ends kept per call record and version; beyond it the oldest is forgotten. */
  maxPerVersion: 32,
} as const;

/**
 * The bucket a record created by an early end goes in: the bucket of the end's time, kept within
 * the live buckets (the oldest live one for an older end, the current one for a future end), so
 * that it expires maxTransactionAge after the call it ends rather than after the write.
 */
export function earlyEndBucket(at: number, now: number, plan: BucketPlan): number {
  const cur = bucketOf(now, plan.bucketMs);
  return Math.min(cur, Math.max(lastExpiredBucket(now, plan) + 1, bucketOf(at, plan.bucketMs)));
}

/**
 * In-memory time-bucketed records: tag (service or gateway) → bucket → transaction → record.
 * The same layout as the Redis bucket hashes, so both stores find and expire the same records.
 */
export class BucketTable<R> {
  private readonly tags = new Map<string, Map<number, Map<string, R>>>();

  constructor(private readonly plan: BucketPlan) {}

  /** Finds `txn`'s record under `tag` in the live buckets (see `lookupBuckets`). */
  find(tag: string, txn: string, now: number): { bucket: number; rec: R } | undefined {
    const buckets = this.tags.get(tag);
    if (buckets === undefined) return undefined;
    for (const b of lookupBuckets(now, this.plan)) {
      const rec = buckets.get(b)?.get(txn);
      if (rec !== undefined) return { bucket: b, rec };
    }
    return undefined;
  }

  /** Stores a new record in the bucket of `now`, or in bucket `b` when given (a live one). */
  insert(tag: string, txn: string, rec: R, now: number, b = bucketOf(now, this.plan.bucketMs)): void {
    let buckets = this.tags.get(tag);
    if (buckets === undefined) this.tags.set(tag, (buckets = new Map<number, Map<string, R>>()));
    let records = buckets.get(b);
    if (records === undefined) buckets.set(b, (records = new Map<string, R>()));
    records.set(txn, rec);
  }

  /** Removes a record found by `find`. */
  delete(tag: string, bucket: number, txn: string): void {
    this.tags.get(tag)?.get(bucket)?.delete(txn);
  }

  /** The live buckets of `tag`, oldest first, each with its records. */
  live(tag: string, now: number): [number, ReadonlyMap<string, R>][] {
    const buckets = this.tags.get(tag);
    if (buckets === undefined) return [];
    const out: [number, ReadonlyMap<string, R>][] = [];
    for (const b of liveBuckets(now, this.plan)) {
      const records = buckets.get(b);
      if (records !== undefined && records.size > 0) out.push([b, records]);
    }
    return out;
  }

  /** The tags that hold any bucket. */
  tagNames(): string[] {
    return [...this.tags.keys()];
  }

  /** Removes every expired bucket at `now`, returning their records per tag. */
  takeExpired(now: number): [string, string, R][] {
    const out: [string, string, R][] = [];
    for (const [tag, buckets] of this.tags) {
      for (const [b, records] of buckets) {
        if (!isExpired(b, now, this.plan)) continue;
        for (const [txn, rec] of records) out.push([tag, txn, rec]);
        buckets.delete(b);
      }
      if (buckets.size === 0) this.tags.delete(tag);
    }
    return out;
  }
}
