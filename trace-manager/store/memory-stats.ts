import { bucketOf, statsBuckets } from "./buckets.js";
import type { OutboundSample, VersionStats } from "./port.js";
import { type StatsCell, addSample, emptyCell, mergeCell, toVersionStats } from "./version-stats.js";

/** In-memory outbound statistics: service@version → stats bucket → cell, pruned past retention. */
export class MemoryStats {
  private readonly cells = new Map<string, Map<number, StatsCell>>();

  constructor(
    private readonly widthMs: number,
    private readonly retentionMs: number,
  ) {}

  /** Adds a sample to the bucket of its own time; samples older than retention are dropped. */
  add(s: OutboundSample, now: number): void {
    if (bucketOf(s.at, this.widthMs) < bucketOf(now - this.retentionMs, this.widthMs)) return;
    const key = `${s.service}@${s.version}`;
    let buckets = this.cells.get(key);
    if (buckets === undefined) this.cells.set(key, (buckets = new Map<number, StatsCell>()));
    const b = bucketOf(s.at, this.widthMs);
    let cell = buckets.get(b);
    if (cell === undefined) buckets.set(b, (cell = emptyCell()));
    addSample(cell, s);
  }

  /** Stats over the buckets from `sinceMs` to `now`. */
  query(service: string, version: string, sinceMs: number, now: number): VersionStats {
    const buckets = this.cells.get(`${service}@${version}`);
    const total = emptyCell();
    for (const b of statsBuckets(sinceMs, now, this.widthMs, this.retentionMs)) {
      const cell = buckets?.get(b);
      if (cell !== undefined) mergeCell(total, cell);
    }
    return toVersionStats(total);
  }

  /** Drops buckets that no window can read any more. */
  prune(now: number): void {
    const oldest = bucketOf(now - this.retentionMs, this.widthMs);
    for (const [key, buckets] of this.cells) {
      for (const b of buckets.keys()) if (b < oldest) buckets.delete(b);
      if (buckets.size === 0) this.cells.delete(key);
    }
  }
}
