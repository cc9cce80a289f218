/**
 * The local backend's UpgradeStore: Upgrades in one JSON state file, written atomically
 * (write to a temporary file, fsync, rename, fsync the folder), so a controller killed at any
 * point restarts from the last complete write (G5). One process writes a state file: opening
 * it takes its lock (state-lock.ts), and a second controller on it is refused (ADR 0087). The
 * file is validated on load (state-file.ts). Ended upgrades are kept for a bounded time and
 * number. Without a path it keeps the records in memory only.
 * Writes follow the port's split: spec, status and command annotations are written apart,
 * each guarded by the one resourceVersion of the record, as on a Kubernetes resource.
 */
import { randomBytes } from "node:crypto";
import { open, mkdir, readFile, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { TERMINAL_PHASES } from "../engine/phases.js";
import type { Command, UpgradeSpec, UpgradeStatus } from "../engine/types.js";
import { enrolmentId } from "../upgrade-spec/enrolment-id.js";
import {
  keyString,
  UpgradeConflictError,
  UpgradeExistsError,
  UpgradeNotFoundError,
  type NewUpgrade,
  type UpgradeEvent,
  type UpgradeKey,
  type UpgradeRecord,
  type UpgradeStore,
  type UpgradeWatcher,
} from "../ports/upgrade-store.js";
import { phaseOf } from "../reconciler/record-check.js";
import { formatStateFile, parseStateFile } from "./state-file.js";
import { acquireStateLock, type StateLock } from "./state-lock.js";

/** How long and how many ended (Succeeded, RolledBack, Failed) upgrades the store keeps. */
export interface EndedRetention {
  /** The most ended upgrades kept; the longest ended go first. */
  readonly count: number;
  /** An ended upgrade is dropped this long after it ended, by the store's clock (ms); omitted = no limit. */
  readonly maxAgeMs?: number;
}

/** The default {@link EndedRetention}: the 100 latest ended upgrades, however old. */
export const DEFAULT_ENDED_RETENTION: EndedRetention = { count: 100 };

/** Options of {@link FileUpgradeStore}. */
export interface FileUpgradeStoreOptions {
  /** The state file; omitted = memory only (tests, the embedded demo). */
  readonly path?: string;
  /** How many ended upgrades are kept, and how long. */
  readonly endedRetention?: EndedRetention;
  /** The clock the retention reads (ms). */
  readonly clock?: () => number;
}

/** UpgradeStore over a JSON state file. Open it with {@link FileUpgradeStore.open}. */
export class FileUpgradeStore implements UpgradeStore {
  private readonly records = new Map<string, UpgradeRecord>();
  private readonly watchers = new Set<UpgradeWatcher>();
  private revision = 0;
  /** Serialises writes, so the file always holds one complete state. */
  private writing: Promise<void> = Promise.resolve();
  private lock: StateLock | undefined;
  private abandoned = false;
  private readonly retention: EndedRetention;
  private readonly clock: () => number;

  private constructor(
    private readonly path: string | undefined,
    options: FileUpgradeStoreOptions,
  ) {
    this.retention = options.endedRetention ?? DEFAULT_ENDED_RETENTION;
    if (!Number.isSafeInteger(this.retention.count) || this.retention.count < 0) {
      throw new Error(`endedRetention.count must be a whole number ≥ 0, not ${this.retention.count}`);
    }
    this.clock = options.clock ?? Date.now;
  }

  /**
   * Opens the store: takes the state file's lock (refusing with `StateLockedError` while another
   * live process holds it), then loads and validates the file when it exists.
   */
  static async open(options: FileUpgradeStoreOptions = {}): Promise<FileUpgradeStore> {
    const store = new FileUpgradeStore(options.path, options);
    if (options.path !== undefined) {
      store.lock = await acquireStateLock(options.path);
      try {
        await store.load(options.path);
      } catch (err) {
        await store.lock.release();
        throw err;
      }
    }
    store.pruneEnded();
    return store;
  }

  private async load(path: string): Promise<void> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw new Error(`cannot read the upgrade state file ${path}`, { cause: err });
    }
    const state = parseStateFile(text, path);
    this.revision = state.revision;
    for (const record of state.upgrades) this.records.set(keyString(record), record);
  }

  get(key: UpgradeKey): Promise<UpgradeRecord> {
    const record = this.records.get(keyString(key));
    return record ? Promise.resolve(record) : Promise.reject(new UpgradeNotFoundError(key));
  }

  list(namespace?: string): Promise<readonly UpgradeRecord[]> {
    return Promise.resolve(
      [...this.records.values()]
        .filter((r) => namespace === undefined || r.namespace === namespace)
        .sort((a, b) => a.createdAt - b.createdAt),
    );
  }

  async create(upgrade: NewUpgrade): Promise<UpgradeRecord> {
    const k = keyString(upgrade);
    if (this.records.has(k)) throw new UpgradeExistsError(upgrade);
    const stored: UpgradeRecord = {
      namespace: upgrade.namespace,
      name: upgrade.name,
      id: enrolmentId(upgrade.namespace, upgrade.name),
      spec: upgrade.spec,
      status: upgrade.status,
      commands: [],
      createdAt: upgrade.createdAt,
      resourceVersion: String(++this.revision),
    };
    this.records.set(k, stored);
    await this.persist();
    this.emit({ type: "ADDED", upgrade: stored });
    return stored;
  }

  updateSpec(key: UpgradeKey, resourceVersion: string, spec: UpgradeSpec): Promise<UpgradeRecord> {
    return this.write(key, resourceVersion, (r) => ({ ...r, spec }));
  }

  updateStatus(key: UpgradeKey, resourceVersion: string, status: UpgradeStatus): Promise<UpgradeRecord> {
    return this.write(key, resourceVersion, (r) => ({ ...r, status }));
  }

  setCommand(key: UpgradeKey, resourceVersion: string, command: Command): Promise<UpgradeRecord> {
    return this.write(key, resourceVersion, (r) => ({
      ...r,
      commands: [...r.commands.filter((c) => c.kind !== command.kind), command],
    }));
  }

  /** Deletes an Upgrade (a user's act, as `kubectl delete upgrade`; the controller never deletes). */
  async remove(key: UpgradeKey): Promise<void> {
    const k = keyString(key);
    const current = this.records.get(k);
    if (!current) throw new UpgradeNotFoundError(key);
    this.records.delete(k);
    ++this.revision;
    await this.persist();
    this.emit({ type: "DELETED", upgrade: current });
  }

  watch(watcher: UpgradeWatcher): () => void {
    this.watchers.add(watcher);
    // As an informer does after its first list: the watcher learns every current Upgrade.
    const upgrades = [...this.records.values()];
    queueMicrotask(() => {
      if (this.watchers.has(watcher)) watcher.onResync?.(upgrades);
    });
    return () => this.watchers.delete(watcher);
  }

  /** Waits for the writes in progress, then releases the state file's lock. */
  async close(): Promise<void> {
    this.watchers.clear();
    await this.writing;
    await this.lock?.release();
  }

  /**
   * Stops writing at once and releases the lock without waiting for writes in progress (what
   * a crash leaves: the last complete write). Later writes are refused.
   */
  abandon(): void {
    this.abandoned = true;
    this.watchers.clear();
    this.lock?.releaseSync();
  }

  private async write(
    key: UpgradeKey,
    resourceVersion: string,
    change: (r: UpgradeRecord) => UpgradeRecord,
  ): Promise<UpgradeRecord> {
    const k = keyString(key);
    const current = this.records.get(k);
    if (!current) throw new UpgradeNotFoundError(key);
    if (current.resourceVersion !== resourceVersion) {
      throw new UpgradeConflictError(key, resourceVersion, current.resourceVersion);
    }
    const stored: UpgradeRecord = { ...change(current), resourceVersion: String(++this.revision) };
    this.records.set(k, stored);
    await this.persist();
    this.emit({ type: "MODIFIED", upgrade: stored });
    return stored;
  }

  private emit(event: UpgradeEvent): void {
    for (const watcher of this.watchers) watcher.onEvent(event);
  }

  private persist(): Promise<void> {
    if (this.abandoned) return Promise.reject(new Error("the upgrade store was halted; it writes no more"));
    const pruned = this.pruneEnded();
    const path = this.path;
    const emitPruned = (): void => {
      for (const upgrade of pruned) this.emit({ type: "DELETED", upgrade });
    };
    if (path === undefined) {
      emitPruned();
      return Promise.resolve();
    }
    const text = formatStateFile(this.revision, [...this.records.values()]);
    const lock = this.lock;
    const next = this.writing.then(async () => {
      if (this.abandoned) throw new Error("the upgrade store was halted; it writes no more");
      if (lock !== undefined && !(await lock.holds())) {
        throw new Error(
          `cannot write the upgrade state file ${path}: its lock ${lock.path} was taken by another process; ` +
            "stop the other controller, then restart this one",
        );
      }
      await writeAtomically(path, text);
    });
    // A failed write must not wedge later ones; the caller of this write still sees the error.
    this.writing = next.catch(() => undefined);
    return next.then(emitPruned);
  }

  /**
   * Drops ended upgrades past the retention (the longest ended first) and returns them. It
   * bumps the revision, so a watcher's resourceVersions stay ordered.
   */
  private pruneEnded(): UpgradeRecord[] {
    const now = this.clock();
    const maxAgeMs = this.retention.maxAgeMs ?? Infinity;
    const ended = [...this.records.values()]
      .filter((r) => {
        const phase = phaseOf(r);
        return phase !== null && TERMINAL_PHASES.includes(phase);
      })
      .map((r) => ({ record: r, endedAt: endedAt(r) }))
      .sort((a, b) => b.endedAt - a.endedAt);
    const dropped = ended
      .filter((e, i) => i >= this.retention.count || now - e.endedAt > maxAgeMs)
      .map((e) => e.record);
    for (const r of dropped) this.records.delete(keyString(r));
    if (dropped.length > 0) ++this.revision;
    return dropped;
  }
}

/** When an ended upgrade ended: its last history line, else when its last stage began. */
function endedAt(record: UpgradeRecord): number {
  const status = record.status as Partial<UpgradeStatus>;
  return status.history?.at(-1)?.at ?? status.engine?.stageSince ?? record.createdAt;
}

/**
 * Writes a unique temporary file beside `path`, fsyncs it, renames it over `path` and fsyncs
 * the folder, so the rename itself survives a power cut.
 */
async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}-${randomBytes(6).toString("hex")}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true });
    const handle = await open(tmp, "wx");
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
    await syncFolder(dirname(path));
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new Error(`cannot write the upgrade state file ${path}`, { cause: err });
  }
}

async function syncFolder(folder: string): Promise<void> {
  let handle;
  try {
    handle = await open(folder, "r");
  } catch (err) {
    // Some platforms cannot open a folder; the rename is then as durable as they make it.
    if (["EISDIR", "EPERM", "EACCES"].includes((err as NodeJS.ErrnoException).code ?? "")) return;
    throw err;
  }
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
