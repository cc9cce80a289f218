import type { BucketPlan } from "./buckets.js";
import { BucketTable, EARLY_ENDS, earlyEndBucket } from "./memory-table.js";
import type { Expiry, IngressEnd, IngressStart, IngressSummary, TxnId } from "./port.js";

/**
 * An in-flight ingress transaction (when it started, and its decision per upgrade), or the
 * completion of one whose start is not recorded yet (`earlyEndAt`, ADR 0086).
 */
type IngressRecord =
  | { readonly startedAt: number; readonly enrolled: ReadonlyMap<string, boolean> }
  | { readonly earlyEndAt: number };

/** The in-memory in-flight ingress records per gateway, keyed like the Redis store. */
export class MemoryIngress {
  private readonly table: BucketTable<IngressRecord>;
  /** gateway → upgrade → last non-enrolled start (kept past expiry, like the Redis stats hash). */
  private readonly lastNonEnrolled = new Map<string, Map<string, number>>();

  constructor(private readonly plan: BucketPlan) {
    this.table = new BucketTable(plan);
  }

  /**
   * Records a start; a repeated start of an in-flight transaction is ignored. A start whose
   * completion came first (an early end at most the slack before it) cancels it instead, so the
   * transaction is never in flight; an older early end is stale and the start replaces it.
   */
  start(s: IngressStart, now: number): void {
    const found = this.table.find(s.gateway, s.txn, now);
    const at = Math.floor(s.at); // whole milliseconds, as the Redis records hold them
    if (found !== undefined && !("earlyEndAt" in found.rec)) return;
    const enrolled = new Map(s.enrolments.map((e) => [e.upgrade, e.enrolled]));
    if (found !== undefined && "earlyEndAt" in found.rec && found.rec.earlyEndAt + EARLY_ENDS.slackMs >= at) {
      this.table.delete(s.gateway, found.bucket, s.txn);
    } else {
      if (found !== undefined) this.table.delete(s.gateway, found.bucket, s.txn);
      this.table.insert(s.gateway, s.txn, { startedAt: at, enrolled }, now);
    }
    for (const [upgrade, isEnrolled] of enrolled) {
      if (isEnrolled) continue;
      let last = this.lastNonEnrolled.get(s.gateway);
      if (last === undefined) this.lastNonEnrolled.set(s.gateway, (last = new Map<string, number>()));
      last.set(upgrade, Math.max(last.get(upgrade) ?? at, at));
    }
  }

  /**
   * Records a completion; false when the start is unknown (clamped): the completion is then kept
   * as an early end, in the bucket of its time, for the start to cancel (a repeated one is ignored).
   */
  end(e: IngressEnd, now: number): boolean {
    const found = this.table.find(e.gateway, e.txn, now);
    if (found === undefined) {
      const at = Math.floor(e.at);
      this.table.insert(e.gateway, e.txn, { earlyEndAt: at }, now, earlyEndBucket(at, now, this.plan));
      return false;
    }
    if ("earlyEndAt" in found.rec) return false;
    this.table.delete(e.gateway, found.bucket, e.txn);
    return true;
  }

  /** In-flight counts per upgrade over every gateway. */
  summary(upgrade: string, now: number): IngressSummary {
    let enrolledInFlight = 0;
    let nonEnrolledInFlight = 0;
    let lastNonEnrolledStartAt: number | null = null;
    let oldestInFlightStartAt: number | null = null;
    for (const gateway of new Set([...this.table.tagNames(), ...this.lastNonEnrolled.keys()])) {
      const last = this.lastNonEnrolled.get(gateway)?.get(upgrade);
      if (last !== undefined) lastNonEnrolledStartAt = Math.max(lastNonEnrolledStartAt ?? last, last);
      let gatewayOldest: number | null = null;
      for (const [, records] of this.table.live(gateway, now)) {
        let bucketOldest: number | null = null;
        for (const rec of records.values()) {
          if ("earlyEndAt" in rec) continue;
          const isEnrolled = rec.enrolled.get(upgrade);
          if (isEnrolled === undefined) continue;
          if (isEnrolled) enrolledInFlight++;
          else nonEnrolledInFlight++;
          bucketOldest = Math.min(bucketOldest ?? rec.startedAt, rec.startedAt);
        }
        gatewayOldest ??= bucketOldest;
      }
      if (gatewayOldest !== null)
        oldestInFlightStartAt = Math.min(oldestInFlightStartAt ?? gatewayOldest, gatewayOldest);
    }
    return { enrolledInFlight, nonEnrolledInFlight, lastNonEnrolledStartAt, oldestInFlightStartAt };
  }

  /** Drops expired buckets, reporting every in-flight transaction in them (not early ends). */
  sweep(now: number): Expiry[] {
    const out: Expiry[] = [];
    for (const [gateway, txn, rec] of this.table.takeExpired(now)) {
      if ("earlyEndAt" in rec) continue;
      out.push({
        kind: "ingress",
        txn: txn as TxnId,
        where: gateway,
        startedAt: rec.startedAt,
        expiredAt: now,
      });
    }
    return out;
  }
}
