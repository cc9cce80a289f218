/**
 * The local backend's UpgradeStore: Upgrades in one JSON state file, written atomically
 * (write to a temporary file, fsync, rename), so a controller killed at any point restarts
 * from the last complete write (G5). Without a path it keeps the records in memory only.
 * Writes follow the port's split: spec, status and command annotations are written apart,
 * each guarded by the one resourceVersion of the record, as on a Kubernetes resource.
 */
import { open, mkdir, readFile, rename } from "node:fs/promises";
import { dirname } from "node:path";
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

/** The namespace of records written before Upgrades had one (state file version 1). */
const V1_NAMESPACE = "default";

interface StateFileV2 {
  readonly version: 2;
  readonly revision: number;
  readonly upgrades: readonly UpgradeRecord[];
}

/** Version 1 records had no namespace; their `id` was both the name and the enrolment id. */
interface StateFileV1 {
  readonly version: 1;
  readonly revision: number;
  readonly upgrades: readonly (Omit<UpgradeRecord, "namespace" | "name"> & { readonly id: string })[];
}

/** Options of {@link FileUpgradeStore}. */
export interface FileUpgradeStoreOptions {
  /** The state file; omitted = memory only (tests, the embedded demo). */
  readonly path?: string;
}

/** UpgradeStore over a JSON state file. Open it with {@link FileUpgradeStore.open}. */
export class FileUpgradeStore implements UpgradeStore {
  private readonly records = new Map<string, UpgradeRecord>();
  private readonly watchers = new Set<UpgradeWatcher>();
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
    let state: StateFileV1 | StateFileV2;
    try {
      state = JSON.parse(text) as StateFileV1 | StateFileV2;
    } catch (err) {
      throw new Error(`the upgrade state file ${path} is not valid JSON; move it aside to start afresh`, {
        cause: err,
      });
    }
    this.revision = state.revision;
    for (const record of state.upgrades) {
      // Version 1: the record keeps its enrolment id, so routes it wrote still match it.
      const stored: UpgradeRecord =
        state.version === 1
          ? { ...record, namespace: V1_NAMESPACE, name: record.id }
          : (record as UpgradeRecord);
      this.records.set(keyString(stored), stored);
    }
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

  async close(): Promise<void> {
    this.watchers.clear();
    await this.writing;
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
    const path = this.path;
    if (path === undefined) return Promise.resolve();
    const state: StateFileV2 = { version: 2, revision: this.revision, upgrades: [...this.records.values()] };
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
