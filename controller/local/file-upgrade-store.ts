/**
 * The local backend's UpgradeStore: Upgrades in one JSON state file, written atomically
 * (write to a temporary file, fsync, rename), so a controller killed at any point restarts
 * from the last complete write (G5). Without a path it keeps the records in memory only.
 */
import { open, mkdir, readFile, rename } from "node:fs/promises";
import { dirname } from "node:path";
import {
  UpgradeConflictError,
  UpgradeExistsError,
  UpgradeNotFoundError,
  type UpgradeEvent,
  type UpgradeRecord,
  type UpgradeStore,
} from "../ports/upgrade-store.js";

interface StateFile {
  readonly version: 1;
  readonly revision: number;
  readonly upgrades: readonly UpgradeRecord[];
}

/** Options of {@link FileUpgradeStore}. */
export interface FileUpgradeStoreOptions {
  /** The state file; omitted = memory only (tests, the embedded demo). */
  readonly path?: string;
}

/** UpgradeStore over a JSON state file. Open it with {@link FileUpgradeStore.open}. */
export class FileUpgradeStore implements UpgradeStore {
  private readonly records = new Map<string, UpgradeRecord>();
  private readonly watchers = new Set<(event: UpgradeEvent) => void>();
  private revision = 0;
  /** Serialises writes, so the file always holds one complete state. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly path: string | undefined) {}

  /** Opens the store, loading the state file when it exists. */
  static async open(options: FileUpgradeStoreOptions = {}): Promise<FileUpgradeStore> {
    const store = new FileUpgradeStore(options.path);
    if (options.path !== undefined) await store.load(options.path);
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
    let state: StateFile;
    try {
      state = JSON.parse(text) as StateFile;
    } catch (err) {
      throw new Error(`the upgrade state file ${path} is not valid JSON; move it aside to start afresh`, {
        cause: err,
      });
    }
    this.revision = state.revision;
    for (const record of state.upgrades) this.records.set(record.id, record);
  }

  get(id: string): Promise<UpgradeRecord> {
    const record = this.records.get(id);
    return record ? Promise.resolve(record) : Promise.reject(new UpgradeNotFoundError(id));
  }

  list(): Promise<readonly UpgradeRecord[]> {
    return Promise.resolve([...this.records.values()].sort((a, b) => a.createdAt - b.createdAt));
  }

  async create(record: Omit<UpgradeRecord, "resourceVersion">): Promise<UpgradeRecord> {
    if (this.records.has(record.id)) throw new UpgradeExistsError(record.id);
    const stored: UpgradeRecord = { ...record, resourceVersion: String(++this.revision) };
    this.records.set(stored.id, stored);
    await this.persist();
    this.emit({ type: "ADDED", upgrade: stored });
    return stored;
  }

  async update(record: UpgradeRecord): Promise<UpgradeRecord> {
    const current = this.records.get(record.id);
    if (!current) throw new UpgradeNotFoundError(record.id);
    if (current.resourceVersion !== record.resourceVersion) {
      throw new UpgradeConflictError(record.id, record.resourceVersion, current.resourceVersion);
    }
    const stored: UpgradeRecord = { ...record, resourceVersion: String(++this.revision) };
    this.records.set(stored.id, stored);
    await this.persist();
    this.emit({ type: "MODIFIED", upgrade: stored });
    return stored;
  }

  watch(handler: (event: UpgradeEvent) => void): () => void {
    this.watchers.add(handler);
    return () => this.watchers.delete(handler);
  }

  async close(): Promise<void> {
    this.watchers.clear();
    await this.writing;
  }

  private emit(event: UpgradeEvent): void {
    for (const watcher of this.watchers) watcher(event);
  }

  private persist(): Promise<void> {
    const path = this.path;
    if (path === undefined) return Promise.resolve();
    const state: StateFile = { version: 1, revision: this.revision, upgrades: [...this.records.values()] };
    const text = JSON.stringify(state);
    const next = this.writing.then(() => writeAtomically(path, text));
    // A failed write must not wedge later ones; the caller of this write still sees the error.
    this.writing = next.catch(() => undefined);
    return next;
  }
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true });
    const handle = await open(tmp, "w");
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    throw new Error(`cannot write the upgrade state file ${path}`, { cause: err });
  }
}
