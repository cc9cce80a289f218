/**
 * What a route table serves between its own write and the informer's catching up with it: the
 * informer's cache, with an overlay of the objects the API server handed back to us (our writes,
 * and the fresh reads made after a 409 or a 404). An overlay entry yields as soon as the informer
 * delivers that very resourceVersion (or the delete of that object), after a relist that started
 * after it, or after `maxAgeMs` as a last resort. Resource versions are only ever compared for
 * equality, never ordered, as the API conventions ask: a re-plan right after a write or a conflict
 * then starts from what the server said, not from a cache a few milliseconds behind, so a
 * conflict is not retried in a hot loop from the same stale copy.
 */

/** The parts of an object's metadata the cache reads. */
export interface CachedObject {
  readonly metadata: {
    readonly namespace: string;
    readonly name: string;
    readonly resourceVersion?: string;
    readonly uid?: string;
  };
}

/** The informer's side: what it holds now. */
export interface InformerView<T> {
  all(): readonly T[];
  get(namespace: string, name: string): T | undefined;
}

/** Options of {@link WriteThroughCache}. */
export interface WriteThroughCacheOptions {
  readonly clock?: () => number;
  /** The longest an overlay entry hides the informer's copy (default 30 s). */
  readonly maxAgeMs?: number;
}

/** An overlay entry: the object the server returned, or a tombstone (the object is gone). */
interface Entry<T> {
  readonly object: T | undefined;
  readonly resourceVersion: string | undefined;
  readonly uid: string | undefined;
  readonly at: number;
  readonly seq: number;
}

/** How many resourceVersions (and deleted uids) per object are remembered as already delivered. */
const REMEMBERED = 8;

const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`;

/** The informer's cache with our writes laid over it until the informer has them. */
export class WriteThroughCache<T extends CachedObject> {
  private readonly overlay = new Map<string, Entry<T>>();
  private readonly delivered = new Map<string, string[]>();
  private readonly deletedUids = new Map<string, string[]>();
  private readonly clock: () => number;
  private readonly maxAgeMs: number;
  private seq = 0;

  constructor(
    private readonly informer: InformerView<T>,
    options: WriteThroughCacheOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.maxAgeMs = options.maxAgeMs ?? 30_000;
  }

  /** The informer delivered `obj` (added or updated). */
  observed(obj: T): void {
    const key = keyOf(obj.metadata.namespace, obj.metadata.name);
    const rv = obj.metadata.resourceVersion;
    if (rv !== undefined) remember(this.delivered, key, rv);
    const entry = this.overlay.get(key);
    if (entry === undefined) return;
    const caughtUp = entry.object !== undefined && entry.resourceVersion === rv;
    // A tombstone yields to a new object of the same name (another uid): it was created again.
    const recreated = entry.object === undefined && obj.metadata.uid !== entry.uid;
    if (caughtUp || recreated) this.overlay.delete(key);
  }

  /** The informer delivered the deletion of `obj`. */
  observedDelete(obj: T): void {
    const key = keyOf(obj.metadata.namespace, obj.metadata.name);
    const uid = obj.metadata.uid;
    if (uid !== undefined) remember(this.deletedUids, key, uid);
    this.delivered.delete(key);
    const entry = this.overlay.get(key);
    // Whatever we saw of that object (written or deleted) comes before its deletion.
    if (entry !== undefined && entry.uid === uid) this.overlay.delete(key);
  }

  /** A marker to take before a relist starts; pass it to {@link relisted} when the relist is in. */
  mark(): number {
    return this.seq;
  }

  /** A relist that started at `marker` is in: what we saw before it is in the informer now. */
  relisted(marker: number): void {
    for (const [key, entry] of this.overlay) {
      const [namespace, name] = splitKey(key);
      const cached = this.informer.get(namespace, name);
      const caughtUp =
        entry.object === undefined
          ? cached === undefined || cached.metadata.uid !== entry.uid
          : cached?.metadata.resourceVersion === entry.resourceVersion;
      if (entry.seq <= marker || caughtUp) this.overlay.delete(key);
    }
  }

  /** The API server returned `obj` (a write's result, or a fresh read). */
  wrote(obj: T): void {
    const key = keyOf(obj.metadata.namespace, obj.metadata.name);
    const rv = obj.metadata.resourceVersion;
    // Already delivered: the informer has this version or a later one, so it knows better.
    if (rv !== undefined && this.delivered.get(key)?.includes(rv) === true) {
      this.overlay.delete(key);
      return;
    }
    this.overlay.set(key, {
      object: structuredClone(obj),
      resourceVersion: rv,
      uid: obj.metadata.uid,
      at: this.clock(),
      seq: ++this.seq,
    });
  }

  /** The object is gone (we deleted it, or a read found nothing); `uid` when known. */
  deleted(namespace: string, name: string, uid?: string): void {
    const key = keyOf(namespace, name);
    const gone = uid ?? this.informer.get(namespace, name)?.metadata.uid ?? this.overlay.get(key)?.uid;
    // Nothing of it is served, or the informer has delivered its deletion already.
    if (gone === undefined || this.deletedUids.get(key)?.includes(gone) === true) {
      this.overlay.delete(key);
      return;
    }
    this.overlay.set(key, {
      object: undefined,
      resourceVersion: undefined,
      uid: gone,
      at: this.clock(),
      seq: ++this.seq,
    });
  }

  /** Every object as the server last told us, sorted by namespace then name; deep copies. */
  list(): T[] {
    const now = this.clock();
    const byKey = new Map<string, T>();
    for (const obj of this.informer.all()) byKey.set(keyOf(obj.metadata.namespace, obj.metadata.name), obj);
    for (const [key, entry] of this.overlay) {
      if (now - entry.at > this.maxAgeMs) {
        this.overlay.delete(key);
        continue;
      }
      if (entry.object !== undefined) byKey.set(key, entry.object);
      // A tombstone hides only the object that was deleted, not one created again since.
      else if (byKey.get(key)?.metadata.uid === entry.uid) byKey.delete(key);
    }
    return [...byKey.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, obj]) => structuredClone(obj));
  }

  /** How many objects are served from the overlay now (for tests and diagnostics). */
  get pending(): number {
    return this.overlay.size;
  }
}

function remember(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key) ?? [];
  if (list.includes(value)) return;
  list.push(value);
  if (list.length > REMEMBERED) list.splice(0, list.length - REMEMBERED);
  map.set(key, list);
}

function splitKey(key: string): [string, string] {
  const slash = key.indexOf("/");
  return [key.slice(0, slash), key.slice(slash + 1)];
}
