/**
 * Read-your-writes over an informer's cache: the objects this store wrote, kept until the
 * watch delivers them (or a relist lists them, or a few seconds pass), so a list right after
 * a create or a write shows it. The cache is eventually consistent; this closes the gap for
 * the process's own writes only, which is what the API and the reconciler need.
 */
import type { UpgradeObject } from "./upgrade-codec.js";

/** After this long an entry gives way to the cache whatever happened (e.g. a delete raced the write). */
const MAX_AGE_MS = 10_000;

interface Entry {
  readonly object: UpgradeObject;
  /** Write sequence: a relist started after this write lists it (or something newer). */
  readonly seq: number;
  readonly at: number;
}

/** The process's own writes not yet in the cache, by `namespace/name`. */
export class OwnWrites {
  private readonly entries = new Map<string, Entry>();
  private seq = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  /** Remembers a write's answer, unless the cache has that version already. */
  wrote(key: string, object: UpgradeObject, cached: UpgradeObject | undefined): void {
    if (cached?.metadata.resourceVersion === object.metadata.resourceVersion) this.entries.delete(key);
    else this.entries.set(key, { object, seq: ++this.seq, at: this.clock() });
  }

  /** The watch delivered `object`: a remembered write of that version is now in the cache. */
  delivered(key: string, object: UpgradeObject): void {
    if (this.entries.get(key)?.object.metadata.resourceVersion === object.metadata.resourceVersion) {
      this.entries.delete(key);
    }
  }

  /** The watch delivered a delete: nothing remembered of it stands. */
  deleted(key: string): void {
    this.entries.delete(key);
  }

  /** A mark to give {@link relisted}: taken just before a relist starts. */
  mark(): number {
    return this.seq;
  }

  /** A relist (of one namespace, or all) that started at `mark` is in the cache: writes made before it are listed. */
  relisted(mark: number, namespace?: string): void {
    for (const [key, entry] of this.entries) {
      const inList = namespace === undefined || entry.object.metadata.namespace === namespace;
      if (inList && entry.seq <= mark) this.entries.delete(key);
    }
  }

  /** The remembered writes still newer than the cache. */
  current(): ReadonlyMap<string, UpgradeObject> {
    const now = this.clock();
    const out = new Map<string, UpgradeObject>();
    for (const [key, entry] of this.entries) {
      if (now - entry.at > MAX_AGE_MS) this.entries.delete(key);
      else out.set(key, entry.object);
    }
    return out;
  }

  /** The remembered write of `key`, if still newer than the cache. */
  get(key: string): UpgradeObject | undefined {
    return this.current().get(key);
  }
}
