import type { Expiry, Violation } from "./port.js";

/** Newest first by the time that matters for each record kind. */
const violationTime = (v: Violation): number => v.at;
const expiryTime = (e: Expiry): number => e.expiredAt;

/** Merges per-service "recent" lists (each newest first) into the newest `limit` overall. */
export function mergeRecent<T>(lists: Iterable<readonly T[]>, limit: number, timeOf: (x: T) => number): T[] {
  const all: T[] = [];
  for (const list of lists) all.push(...list);
  return all.sort((a, b) => timeOf(b) - timeOf(a)).slice(0, limit);
}

/** Merges recent violations across services. */
export const mergeViolations = (lists: Iterable<readonly Violation[]>, limit: number): Violation[] =>
  mergeRecent(lists, limit, violationTime);

/** Merges recent expiries across services. */
export const mergeExpiries = (lists: Iterable<readonly Expiry[]>, limit: number): Expiry[] =>
  mergeRecent(lists, limit, expiryTime);

/** A per-tag log of the newest `limit` entries with a running total, as the Redis lists keep them. */
export class RecentLog<T> {
  private readonly lists = new Map<string, T[]>();
  total = 0;

  constructor(private readonly limit: number) {}

  /** Records one entry under `tag`. */
  push(tag: string, entry: T): void {
    let list = this.lists.get(tag);
    if (list === undefined) this.lists.set(tag, (list = []));
    list.unshift(entry);
    if (list.length > this.limit) list.length = this.limit;
    this.total++;
  }

  /** Every tag's list, newest first. */
  values(): IterableIterator<readonly T[]> {
    return this.lists.values();
  }
}
