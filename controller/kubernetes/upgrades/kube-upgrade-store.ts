/**
 * The Kubernetes backend's UpgradeStore: Upgrades are `upgrades.tranquil.dev` custom resources
 * (ADR 0074, ADR 0076). An informer per watched namespace (or one over all) feeds `watch` and
 * `list`; `get` reads the API server, since it is the read before a guarded write. Each write
 * is guarded by the resourceVersion the caller read, and touches only its part: `updateSpec`
 * replaces the object (the API server ignores status there), `updateStatus` writes the status
 * subresource only, `setCommand` merge-patches one annotation with the resourceVersion as a
 * precondition. The controller's writes therefore cannot change a user's spec.
 */
import {
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from "@kubernetes/client-node";
import type { Command, UpgradeSpec, UpgradeStatus } from "../../engine/types.js";
import {
  keyString,
  UpgradeConflictError,
  type NewUpgrade,
  type UpgradeEvent,
  type UpgradeKey,
  type UpgradeRecord,
  type UpgradeStore,
  type UpgradeWatcher,
} from "../../ports/upgrade-store.js";
import { UPGRADE_API } from "../../upgrade-spec/crd-manifest.js";
import { startInformer, type Backoff, type ResourceInformer } from "../informer.js";
import { OwnWrites } from "./own-writes.js";
import { upgradeApiError, UpgradeNamespaceError, type UpgradeCall } from "./upgrade-api-errors.js";
import {
  decodeUpgrade,
  encodeCommandPatch,
  encodeNewUpgrade,
  encodeStatusWrite,
  UpgradeDecodeError,
  type UpgradeObject,
} from "./upgrade-codec.js";

/** Options of {@link KubeUpgradeStore.open}. */
export interface KubeUpgradeStoreOptions {
  readonly kc: KubeConfig;
  /** The namespaces served (one watch each); omitted = every namespace (one cluster-wide watch). */
  readonly namespaces?: readonly string[];
  /** Backoff of the informers' restarts after a failed watch. */
  readonly backoff?: Backoff;
  /**
   * Told of a stored Upgrade the codec cannot read; it is left out of lists and watch events
   * (`get` throws the error). Default: a process warning.
   */
  readonly onInvalid?: (err: UpgradeDecodeError) => void;
}

const API = { group: UPGRADE_API.group, version: UPGRADE_API.version, plural: UPGRADE_API.plural } as const;
const ALL_NAMESPACES = "";
/** Retries of a list the API server answers with 429 (e.g. "storage is (re)initializing" just after the CRD). */
const LIST_RETRIES = 10;

/** UpgradeStore over the Upgrade custom resource. Open it with {@link KubeUpgradeStore.open}. */
export class KubeUpgradeStore implements UpgradeStore {
  private readonly api: CustomObjectsApi;
  private readonly informers = new Map<string, ResourceInformer<KubernetesObject>>();
  private readonly watchers = new Set<UpgradeWatcher>();
  private readonly own = new OwnWrites();
  private readonly onInvalid: (err: UpgradeDecodeError) => void;
  /** False until every informer has its first list: events before that are the initial list. */
  private opened = false;

  private constructor(private readonly options: KubeUpgradeStoreOptions) {
    this.api = options.kc.makeApiClient(CustomObjectsApi);
    this.onInvalid = options.onInvalid ?? ((err) => process.emitWarning(err.message, "UpgradeDecodeWarning"));
  }

  /**
   * Starts the informers and resolves once each has listed. Fails with a clear error when the
   * CRD is not installed or the controller may not list or watch Upgrades.
   */
  static async open(options: KubeUpgradeStoreOptions): Promise<KubeUpgradeStore> {
    const store = new KubeUpgradeStore(options);
    const namespaces = options.namespaces ?? [ALL_NAMESPACES];
    try {
      for (const namespace of new Set(namespaces)) {
        store.informers.set(namespace, await store.startInformer(namespace));
      }
    } catch (err) {
      await store.close();
      throw err;
    }
    store.opened = true;
    return store;
  }

  async get(key: UpgradeKey): Promise<UpgradeRecord> {
    return decodeUpgrade(await this.read(key));
  }

  list(namespace?: string): Promise<readonly UpgradeRecord[]> {
    try {
      return Promise.resolve(this.listCached(namespace));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** The cache and this process's newer writes, oldest first (creation time, then key). */
  private listCached(namespace: string | undefined): UpgradeRecord[] {
    if (namespace !== undefined) this.served(namespace);
    const objects = new Map<string, UpgradeObject>();
    for (const informer of this.informers.values()) {
      for (const obj of informer.list(namespace)) {
        const upgrade = obj as unknown as UpgradeObject;
        objects.set(keyString(upgrade.metadata), upgrade);
      }
    }
    for (const [key, obj] of this.own.current()) {
      if (namespace === undefined || obj.metadata.namespace === namespace) objects.set(key, obj);
    }
    const records = [...objects.values()].flatMap((obj) => this.decodeOrReport(obj));
    records.sort((a, b) => a.createdAt - b.createdAt || keyString(a).localeCompare(keyString(b)));
    return records;
  }

  /**
   * Creates the object, then writes the given status through the status subresource (a create
   * cannot set it). Until then, and for objects made with `kubectl apply`, the codec reads the
   * initial status at the creation time. If the reconciler wrote a status first, that one stands.
   * `createdAt` is the API server's creationTimestamp, not `upgrade.createdAt`.
   */
  async create(upgrade: NewUpgrade): Promise<UpgradeRecord> {
    this.served(upgrade.namespace);
    const call: UpgradeCall = {
      verb: "create",
      resource: "upgrades",
      namespace: upgrade.namespace,
      key: upgrade,
    };
    const created = await this.call(call, () =>
      this.api.createNamespacedCustomObject({
        ...API,
        namespace: upgrade.namespace,
        body: encodeNewUpgrade(upgrade),
      }),
    );
    this.remember(created);
    try {
      return await this.updateStatus(upgrade, created.metadata.resourceVersion ?? "", upgrade.status);
    } catch (err) {
      if (err instanceof UpgradeConflictError) return this.get(upgrade);
      throw err;
    }
  }

  async updateSpec(key: UpgradeKey, resourceVersion: string, spec: UpgradeSpec): Promise<UpgradeRecord> {
    this.served(key.namespace);
    // A replace sends the whole object: its metadata is the version the caller read.
    const cached = this.cached(key);
    const base = cached?.metadata.resourceVersion === resourceVersion ? cached : await this.read(key);
    const current = base.metadata.resourceVersion ?? "";
    if (current !== resourceVersion) throw new UpgradeConflictError(key, resourceVersion, current);
    const call = this.writeCall(key, "update", "upgrades", resourceVersion);
    const body = { apiVersion: base.apiVersion, kind: base.kind, metadata: base.metadata, spec };
    const written = await this.call(call, () =>
      this.api.replaceNamespacedCustomObject({ ...API, namespace: key.namespace, name: key.name, body }),
    );
    return this.remember(written);
  }

  async updateStatus(
    key: UpgradeKey,
    resourceVersion: string,
    status: UpgradeStatus,
  ): Promise<UpgradeRecord> {
    this.served(key.namespace);
    const body = encodeStatusWrite(key, resourceVersion, status);
    const call = this.writeCall(key, "update", "upgrades/status", resourceVersion);
    const written = await this.call(call, () =>
      this.api.replaceNamespacedCustomObjectStatus({
        ...API,
        namespace: key.namespace,
        name: key.name,
        body,
      }),
    );
    return this.remember(written);
  }

  async setCommand(key: UpgradeKey, resourceVersion: string, command: Command): Promise<UpgradeRecord> {
    this.served(key.namespace);
    const call = this.writeCall(key, "patch", "upgrades", resourceVersion);
    // A merge patch that carries metadata.resourceVersion is refused with 409 when it is stale.
    const written = await this.call(call, () =>
      this.api.patchNamespacedCustomObject(
        {
          ...API,
          namespace: key.namespace,
          name: key.name,
          body: encodeCommandPatch(resourceVersion, command),
        },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      ),
    );
    return this.remember(written);
  }

  watch(watcher: UpgradeWatcher): () => void {
    this.watchers.add(watcher);
    // As after an informer's list: the new watcher learns every current Upgrade first.
    queueMicrotask(() => {
      if (this.watchers.has(watcher)) watcher.onResync?.(this.listCached(undefined));
    });
    return () => this.watchers.delete(watcher);
  }

  async close(): Promise<void> {
    this.watchers.clear();
    const informers = [...this.informers.values()];
    this.informers.clear();
    await Promise.all(informers.map((i) => i.stop()));
  }

  private startInformer(namespace: string): Promise<ResourceInformer<KubernetesObject>> {
    const all = namespace === ALL_NAMESPACES;
    const path = all
      ? `/apis/${API.group}/${API.version}/${API.plural}`
      : `/apis/${API.group}/${API.version}/namespaces/${namespace}/${API.plural}`;
    const scope = all ? {} : { namespace };
    const event = (type: UpgradeEvent["type"]) => (obj: KubernetesObject) => {
      const upgrade = obj as unknown as UpgradeObject;
      const key = keyString(upgrade.metadata);
      if (type === "DELETED") this.own.deleted(key);
      else this.own.delivered(key, upgrade);
      if (this.opened)
        for (const upgradeRecord of this.decodeOrReport(upgrade)) this.emit({ type, upgrade: upgradeRecord });
    };
    return startInformer<KubernetesObject>({
      kc: this.options.kc,
      path,
      list: () => this.listForInformer(namespace),
      onAdd: event("ADDED"),
      onUpdate: event("MODIFIED"),
      onDelete: event("DELETED"),
      onResync: () => {
        if (this.opened) this.resync();
      },
      onError: (err) => {
        const mapped = upgradeApiError(err, { verb: "watch", resource: "upgrades", ...scope });
        for (const watcher of this.watchers) watcher.onError?.(mapped);
      },
      ...(this.options.backoff === undefined ? {} : { backoff: this.options.backoff }),
    }).catch((err: unknown) => {
      throw upgradeApiError(err, { verb: "watch", resource: "upgrades", ...scope });
    });
  }

  /**
   * The informer's list (its first, and each relist after a 410 Gone). The list is in the
   * cache once the informer has taken it, after this promise settles; then watchers get a
   * resync, which is how a relist the informer does on its own reaches them.
   */
  private async listForInformer(namespace: string): Promise<KubernetesListObject<KubernetesObject>> {
    const mark = this.own.mark();
    const scope = namespace === ALL_NAMESPACES ? {} : { namespace };
    const call: UpgradeCall = { verb: "list", resource: "upgrades", ...scope };
    const list = async (): Promise<unknown> => {
      for (let attempt = 0; ; attempt++) {
        try {
          return namespace === ALL_NAMESPACES
            ? await this.api.listCustomObjectForAllNamespaces({ ...API, resourcePlural: API.plural })
            : await this.api.listNamespacedCustomObject({ ...API, namespace });
        } catch (err) {
          const busy = (err as { code?: unknown }).code === 429;
          if (!busy || attempt >= LIST_RETRIES) throw upgradeApiError(err, call);
          await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
        }
      }
    };
    const listed = (await list()) as KubernetesListObject<KubernetesObject>;
    if (this.opened) {
      setImmediate(() => {
        this.own.relisted(mark, namespace === ALL_NAMESPACES ? undefined : namespace);
        this.resync();
      });
    }
    return listed;
  }

  private resync(): void {
    const all = this.listCached(undefined);
    for (const watcher of this.watchers) watcher.onResync?.(all);
  }

  private emit(event: UpgradeEvent): void {
    for (const watcher of this.watchers) watcher.onEvent(event);
  }

  private decodeOrReport(obj: UpgradeObject): UpgradeRecord[] {
    try {
      return [decodeUpgrade(obj)];
    } catch (err) {
      if (!(err instanceof UpgradeDecodeError)) throw err;
      this.onInvalid(err);
      return [];
    }
  }

  /** The object as the API server has it now. */
  private async read(key: UpgradeKey): Promise<UpgradeObject> {
    this.served(key.namespace);
    const call: UpgradeCall = { verb: "get", resource: "upgrades", namespace: key.namespace, key };
    return this.call(call, () =>
      this.api.getNamespacedCustomObject({ ...API, namespace: key.namespace, name: key.name }),
    );
  }

  /** The newest version this process knows without asking: its own last write, or the cache. */
  private cached(key: UpgradeKey): UpgradeObject | undefined {
    const k = keyString(key);
    const informer = this.informers.get(ALL_NAMESPACES) ?? this.informers.get(key.namespace);
    return this.own.get(k) ?? (informer?.get(key.name, key.namespace) as UpgradeObject | undefined);
  }

  private remember(obj: UpgradeObject): UpgradeRecord {
    const key = keyString(obj.metadata);
    const informer = this.informers.get(ALL_NAMESPACES) ?? this.informers.get(obj.metadata.namespace);
    this.own.wrote(
      key,
      obj,
      informer?.get(obj.metadata.name, obj.metadata.namespace) as UpgradeObject | undefined,
    );
    return decodeUpgrade(obj);
  }

  private writeCall(
    key: UpgradeKey,
    verb: UpgradeCall["verb"],
    resource: UpgradeCall["resource"],
    resourceVersion: string,
  ): UpgradeCall {
    return {
      verb,
      resource,
      namespace: key.namespace,
      key,
      resourceVersion,
      currentVersion: () => this.cached(key)?.metadata.resourceVersion,
    };
  }

  private async call(call: UpgradeCall, request: () => Promise<unknown>): Promise<UpgradeObject> {
    try {
      return (await request()) as UpgradeObject;
    } catch (err) {
      throw upgradeApiError(err, call);
    }
  }

  /** Refuses a namespace this store does not watch: its Upgrades would never be reconciled. */
  private served(namespace: string): void {
    if (this.informers.has(ALL_NAMESPACES) || this.informers.has(namespace)) return;
    const served = [...this.informers.keys()].join(", ");
    throw new UpgradeNamespaceError(
      400,
      `namespace ${namespace} is not served by this controller (it serves ${served}); add it to the controller's namespaces`,
    );
  }
}
