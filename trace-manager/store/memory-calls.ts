import type { BucketPlan } from "./buckets.js";
import { BucketTable } from "./memory-table.js";
import type {
  ActiveSummary,
  ActiveTransaction,
  CallEnd,
  CallStart,
  Expiry,
  TraceId,
  TxnId,
  Violation,
} from "./port.js";

/** One version a transaction entered, with its active-call counter. */
interface Segment {
  readonly version: string;
  count: number;
  readonly startedAt: number;
  lastSeenAt: number;
}

/** A transaction at one service: every version it entered (two or more is a violation). */
interface CallRecord {
  traceId: TraceId | undefined;
  violated: boolean;
  readonly segments: Segment[];
}

/** The in-memory active-call records and violation detector, keyed like the Redis store. */
export class MemoryCalls {
  private readonly table: BucketTable<CallRecord>;

  constructor(plan: BucketPlan) {
    this.table = new BucketTable(plan);
  }

  /** Applies one call start; returns the violation it causes, if it is the first for (txn, service). */
  start(c: CallStart, now: number): Violation | undefined {
    const at = Math.floor(c.at); // whole milliseconds, as the Redis records hold them
    const found = this.table.find(c.service, c.txn, now);
    if (found === undefined) {
      const segment: Segment = { version: c.version, count: 1, startedAt: at, lastSeenAt: at };
      this.table.insert(c.service, c.txn, { traceId: c.traceId, violated: false, segments: [segment] }, now);
      return undefined;
    }
    const rec = found.rec;
    rec.traceId ??= c.traceId;
    const seg = rec.segments.find((s) => s.version === c.version);
    if (seg !== undefined) {
      seg.count++;
      seg.lastSeenAt = Math.max(seg.lastSeenAt, at);
      return undefined;
    }
    rec.segments.push({ version: c.version, count: 1, startedAt: at, lastSeenAt: at });
    if (rec.violated) return undefined;
    rec.violated = true;
    return { txn: c.txn, service: c.service, versions: rec.segments.map((s) => s.version), at };
  }

  /**
   * Applies one call end; false when it would have gone below zero (clamped). Once no call of the
   * transaction is active at the service, its trace id is dropped: the record only serves the
   * violation detector until it expires, and stays smaller.
   */
  end(c: CallEnd, now: number): boolean {
    const rec = this.table.find(c.service, c.txn, now)?.rec;
    const seg = rec?.segments.find((s) => s.version === c.version);
    if (rec === undefined || seg === undefined || seg.count === 0) return false;
    seg.count--;
    seg.lastSeenAt = Math.max(seg.lastSeenAt, Math.floor(c.at));
    if (rec.segments.every((s) => s.count === 0)) rec.traceId = undefined;
    return true;
  }

  /** Active calls and transactions at service@version; the oldest start from the oldest busy bucket. */
  summary(service: string, version: string, now: number): ActiveSummary {
    let calls = 0;
    let transactions = 0;
    let oldestStartAt: number | null = null;
    for (const [, records] of this.table.live(service, now)) {
      let bucketOldest: number | null = null;
      for (const rec of records.values()) {
        const seg = rec.segments.find((s) => s.version === version);
        if (seg === undefined || seg.count === 0) continue;
        calls += seg.count;
        transactions++;
        bucketOldest = bucketOldest === null ? seg.startedAt : Math.min(bucketOldest, seg.startedAt);
      }
      oldestStartAt ??= bucketOldest;
    }
    return { calls, transactions, oldestStartAt };
  }

  /** Active transactions at service@version, oldest start first, at most `limit`. */
  list(service: string, version: string, limit: number, now: number): ActiveTransaction[] {
    const out: ActiveTransaction[] = [];
    for (const [, records] of this.table.live(service, now)) {
      if (out.length >= limit) break;
      for (const [txn, rec] of records) {
        const seg = rec.segments.find((s) => s.version === version);
        if (seg === undefined || seg.count === 0) continue;
        out.push({
          txn: txn as TxnId,
          ...(rec.traceId === undefined ? {} : { traceId: rec.traceId }),
          startedAt: seg.startedAt,
          lastSeenAt: seg.lastSeenAt,
          calls: seg.count,
        });
      }
    }
    return out.sort((a, b) => a.startedAt - b.startedAt || (a.txn < b.txn ? -1 : 1)).slice(0, limit);
  }

  /** Drops expired buckets; one expiry per version a dropped transaction was still active at. */
  sweep(now: number): Expiry[] {
    const out: Expiry[] = [];
    for (const [service, txn, rec] of this.table.takeExpired(now)) {
      for (const seg of rec.segments) {
        if (seg.count === 0) continue;
        out.push({
          kind: "call",
          txn: txn as TxnId,
          where: `${service}@${seg.version}`,
          startedAt: seg.startedAt,
          expiredAt: now,
        });
      }
    }
    return out;
  }
}
