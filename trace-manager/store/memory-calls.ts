import type { BucketPlan } from "./buckets.js";
import { BucketTable, EARLY_ENDS, earlyEndBucket } from "./memory-table.js";
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
  startedAt: number;
  lastSeenAt: number;
  /** Times of ends that arrived before their start (ascending), waiting to be cancelled. */
  readonly early: number[];
  /** False while only early ends reached this version: the detector has not seen it yet. */
  started: boolean;
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

  constructor(private readonly plan: BucketPlan) {
    this.table = new BucketTable(plan);
  }

  /**
   * Applies one call start; returns the violation it causes, if it is the first for (txn, service).
   * A start that an early end of its version waits for cancels it instead of counting (ADR 0086).
   */
  start(c: CallStart, now: number): Violation | undefined {
    const at = Math.floor(c.at); // whole milliseconds, as the Redis records hold them
    const found = this.table.find(c.service, c.txn, now);
    if (found === undefined) {
      const segment = startedSegment(c.version, at);
      segment.count = 1;
      this.table.insert(c.service, c.txn, { traceId: c.traceId, violated: false, segments: [segment] }, now);
      return undefined;
    }
    const rec = found.rec;
    rec.traceId ??= c.traceId;
    let seg = rec.segments.find((s) => s.version === c.version);
    let fresh = false;
    if (seg === undefined) {
      seg = startedSegment(c.version, at);
      rec.segments.push(seg);
      fresh = true;
    } else if (!seg.started) {
      // The first start of a version only early ends had reached: new to the detector, and
      // moved last so that a violation lists versions in the order their starts arrived.
      rec.segments.splice(rec.segments.indexOf(seg), 1);
      rec.segments.push(seg);
      seg.started = true;
      seg.startedAt = at;
      fresh = true;
    }
    const k = matchEarlyEnd(seg.early, at);
    if (k >= 0) {
      seg.lastSeenAt = Math.max(seg.lastSeenAt, at, seg.early[k] ?? at);
      seg.early.splice(k, 1);
      if (rec.segments.every((s) => s.count === 0)) rec.traceId = undefined;
    } else {
      seg.count++;
      seg.lastSeenAt = Math.max(seg.lastSeenAt, at);
    }
    if (!fresh || rec.violated) return undefined;
    const versions = rec.segments.filter((s) => s.started).map((s) => s.version);
    if (versions.length < 2) return undefined;
    rec.violated = true;
    return { txn: c.txn, service: c.service, versions, at };
  }

  /**
   * Applies one call end; false when no call of its version is active (clamped): the end is then
   * kept as an early end for its start to cancel (ADR 0086). Once no call of the transaction is
   * active at the service, its trace id is dropped: the record only serves the violation detector
   * (and early ends) until it expires, and stays smaller.
   */
  end(c: CallEnd, now: number): boolean {
    const at = Math.floor(c.at);
    const found = this.table.find(c.service, c.txn, now);
    const rec = found?.rec;
    const seg = rec?.segments.find((s) => s.version === c.version);
    if (rec !== undefined && seg !== undefined && seg.count > 0) {
      seg.count--;
      seg.lastSeenAt = Math.max(seg.lastSeenAt, at);
      if (rec.segments.every((s) => s.count === 0)) rec.traceId = undefined;
      return true;
    }
    if (rec === undefined) {
      const segments = [earlySegment(c.version, at)];
      const b = earlyEndBucket(at, now, this.plan);
      this.table.insert(c.service, c.txn, { traceId: undefined, violated: false, segments }, now, b);
    } else if (seg === undefined) {
      rec.segments.push(earlySegment(c.version, at));
    } else {
      addEarlyEnd(seg.early, at);
      if (!seg.started) seg.startedAt = Math.min(seg.startedAt, at);
      seg.lastSeenAt = Math.max(seg.lastSeenAt, at);
    }
    return false;
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

/** A segment of a version a start reached, with no call counted yet. */
function startedSegment(version: string, at: number): Segment {
  return { version, count: 0, startedAt: at, lastSeenAt: at, early: [], started: true };
}

/** A segment of a version only an early end has reached. */
function earlySegment(version: string, at: number): Segment {
  return { version, count: 0, startedAt: at, lastSeenAt: at, early: [at], started: false };
}

/**
 * The early end a start at `at` cancels: the earliest one not older than the start by more than
 * the slack (a call ends after it starts), or -1. `early` is ascending.
 */
export function matchEarlyEnd(early: readonly number[], at: number): number {
  return early.findIndex((e) => e + EARLY_ENDS.slackMs >= at);
}

/** Adds an early end, keeping the list ascending and bounded (the oldest goes first). */
export function addEarlyEnd(early: number[], at: number): void {
  let i = early.length;
  while (i > 0 && (early[i - 1] ?? 0) > at) i--;
  early.splice(i, 0, at);
  if (early.length > EARLY_ENDS.maxPerVersion) early.shift();
}
