/**
 * The UpgradeStore on the `Upgrade` custom resource. Reads of one Upgrade go to the API server
 * (a write must start from what is stored now); lists come from the informer's cache once a
 * watch runs. The three writes stay apart as ADR 0074 says: the spec and the command
 * annotations through the resource (users), the status only through the status subresource
 * (the controller), each guarded by the resourceVersion the caller read. The controller never
 * writes the spec: `updateStatus` cannot reach it.
 */
import {
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from "@kubernetes/client-node";
import type { Command, UpgradeSpec, UpgradeStatus } from "../../engine/types.js";
import {
  UpgradeConflictError,
  UpgradeExistsError,
  UpgradeNotFoundError,
  type NewUpgrade,
  type UpgradeKey,
  type UpgradeRecord,
  type UpgradeStore,
  type UpgradeWatcher,
} from "../../ports/upgrade-store.js";
import { UPGRADE_API } from "../../upgrade-spec/crd-manifest.js";
import { startInformer, type Backoff, type ResourceInformer } from "../informer.js";
import { apiStatusOf, describeKubeError } from "../kube-errors.js";
import { commandAnnotation, recordOf, UPGRADE_API_VERSION, type UpgradeObject } from "./upgrade-resource.js";
import { statusToResource } from "./status-instants.js";

const RESOURCE = `${UPGRADE_API.plural}.${UPGRADE_API.group}`;
const API = { group: UPGRADE_API.group, version: UPGRADE_API.version, plural: UPGRADE_API.plural };

/** Options of {@link KubeUpgradeStore}. */
export interface KubeUpgradeStoreOptions {
  readonly kc: KubeConfig;
  /** The namespaces whose Upgrades this store sees; all when omitted. */
  readonly namespaces?: readonly string[];
  /** Restart backoff of the watch. */
  readonly backoff?: Backoff;
}

/** Upgrades as `upgrades.tranquil.dev` resources. */
export class KubeUpgradeStore implements UpgradeStore {
  private readonly api: CustomObjectsApi;
  private readonly informers: ResourceInformer<KubernetesObject>[] = [];
  private readonly stops = new Set<() => void>();

  constructor(private readonly options: KubeUpgradeStoreOptions) {
    this.api = options.kc.makeApiClient(CustomObjectsApi);
  }

  async get(key: UpgradeKey): Promise<UpgradeRecord> {
    return recordOf(await this.read(key));
  }

  async list(namespace?: string): Promise<readonly UpgradeRecord[]> {
    let objects: UpgradeObject[];
    if (this.informers.length > 0) {
      objects = this.informers.flatMap((i) => i.list(namespace)).map(asUpgrade);
    } else {
      const list: unknown = await this.call(
        "list",
        namespace === undefined ? {} : { namespace },
        (): Promise<unknown> =>
          namespace === undefined
            ? this.api.listClusterCustomObject(API)
            : this.api.listNamespacedCustomObject({ ...API, namespace }),
      );
      objects = (list as { items: UpgradeObject[] }).items;
    }
    return objects
      .filter(
        (o) =>
          this.sees(o.metadata.namespace) && (namespace === undefined || o.metadata.namespace === namespace),
      )
      .map(recordOf)
      .sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name));
  }

  async create(upgrade: NewUpgrade): Promise<UpgradeRecord> {
    const { namespace, name } = upgrade;
    const body: UpgradeObject = {
      apiVersion: UPGRADE_API_VERSION,
      kind: UPGRADE_API.kind,
      metadata: { name, namespace },
      spec: upgrade.spec,
    };
    let created: UpgradeObject;
    try {
      created = (await this.api.createNamespacedCustomObject({ ...API, namespace, body })) as UpgradeObject;
    } catch (err) {
      const status = apiStatusOf(err);
      if (status?.code === 409) throw new UpgradeExistsError(upgrade);
      throw describeKubeError(err, { verb: "create", resource: RESOURCE, namespace, name });
    }
    // A status cannot be set on create (the status subresource ignores it); the controller's
    // first read sees the initial status anyway, so writing it is only for `kubectl get`.
    return this.updateStatus(upgrade, created.metadata.resourceVersion ?? "", upgrade.status).catch(() =>
      recordOf(created),
    );
  }

  async updateSpec(key: UpgradeKey, resourceVersion: string, spec: UpgradeSpec): Promise<UpgradeRecord> {
    return this.rewrite(key, resourceVersion, (obj) => {
      obj.spec = spec;
    });
  }

  async updateStatus(
    key: UpgradeKey,
    resourceVersion: string,
    status: UpgradeStatus,
  ): Promise<UpgradeRecord> {
    const body = {
      apiVersion: UPGRADE_API_VERSION,
      kind: UPGRADE_API.kind,
      metadata: { name: key.name, namespace: key.namespace, resourceVersion },
      status: statusToResource(status),
    };
    const saved = await this.write(key, resourceVersion, "update", `${RESOURCE}/status`, () =>
      this.api.replaceNamespacedCustomObjectStatus({
        ...API,
        namespace: key.namespace,
        name: key.name,
        body,
      }),
    );
    return recordOf(saved);
  }

  async setCommand(key: UpgradeKey, resourceVersion: string, command: Command): Promise<UpgradeRecord> {
    return this.rewrite(key, resourceVersion, (obj) => {
      obj.metadata.annotations = {
        ...obj.metadata.annotations,
        [commandAnnotation(command.kind)]: command.token,
      };
    });
  }

  watch(watcher: UpgradeWatcher): () => void {
    let stopped = false;
    const running: ResourceInformer<KubernetesObject>[] = [];
    const deliver = (type: "ADDED" | "MODIFIED" | "DELETED") => (o: KubernetesObject) => {
      const obj = asUpgrade(o);
      if (!this.sees(obj.metadata.namespace)) return;
      try {
        watcher.onEvent({ type, upgrade: recordOf(obj) });
      } catch (err) {
        watcher.onError?.(
          describeKubeError(err, { verb: "watch", resource: RESOURCE, name: obj.metadata.name }),
        );
      }
    };
    const resync = (): void => {
      const records: UpgradeRecord[] = [];
      for (const obj of running.flatMap((i) => i.list()).map(asUpgrade)) {
        if (!this.sees(obj.metadata.namespace)) continue;
        try {
          records.push(recordOf(obj));
        } catch (err) {
          watcher.onError?.(err instanceof Error ? err : new Error(String(err)));
        }
      }
      watcher.onResync?.(records);
    };
    const start = async (namespace: string | undefined, delayMs: number): Promise<void> => {
      try {
        const informer = await startInformer<KubernetesObject>({
          kc: this.options.kc,
          path:
            namespace === undefined
              ? `/apis/${API.group}/${API.version}/${API.plural}`
              : `/apis/${API.group}/${API.version}/namespaces/${namespace}/${API.plural}`,
          list: () =>
            (namespace === undefined
              ? this.api.listClusterCustomObject(API)
              : this.api.listNamespacedCustomObject({ ...API, namespace })) as Promise<
              KubernetesListObject<KubernetesObject>
            >,
          onAdd: deliver("ADDED"),
          onUpdate: deliver("MODIFIED"),
          onDelete: deliver("DELETED"),
          onResync: () => {
            if (running.length > 0) resync();
          },
          onError: (err) => watcher.onError?.(describeKubeError(err, { verb: "watch", resource: RESOURCE })),
          ...(this.options.backoff !== undefined ? { backoff: this.options.backoff } : {}),
        });
        if (stopped) {
          await informer.stop();
          return;
        }
        running.push(informer);
        this.informers.push(informer);
        resync();
      } catch (err) {
        // The first list failed (server unreachable, CRD missing, forbidden): say so and retry.
        watcher.onError?.(describeKubeError(err, { verb: "list", resource: RESOURCE }));
        const max = this.options.backoff?.maxMs ?? 30_000;
        if (!stopped) setTimeout(() => void start(namespace, Math.min(delayMs * 2, max)), delayMs);
      }
    };
    const namespaces = this.options.namespaces ?? [undefined];
    for (const ns of namespaces) void start(ns, this.options.backoff?.initialMs ?? 1_000);
    const stop = (): void => {
      stopped = true;
      this.stops.delete(stop);
      for (const informer of running) {
        this.informers.splice(this.informers.indexOf(informer), 1);
        void informer.stop();
      }
    };
    this.stops.add(stop);
    return stop;
  }

  close(): Promise<void> {
    for (const stop of [...this.stops]) stop();
    return Promise.resolve();
  }

  private sees(namespace: string): boolean {
    return this.options.namespaces === undefined || this.options.namespaces.includes(namespace);
  }

  private async read(key: UpgradeKey): Promise<UpgradeObject> {
    try {
      return (await this.api.getNamespacedCustomObject({ ...API, ...key })) as UpgradeObject;
    } catch (err) {
      if (isPlainNotFound(err)) throw new UpgradeNotFoundError(key);
      throw describeKubeError(err, { verb: "get", resource: RESOURCE, ...key });
    }
  }

  /** Reads the object, checks the caller's resourceVersion, changes it and replaces it with that version. */
  private async rewrite(
    key: UpgradeKey,
    resourceVersion: string,
    change: (obj: UpgradeObject) => void,
  ): Promise<UpgradeRecord> {
    const current = await this.read(key);
    const actual = current.metadata.resourceVersion ?? "";
    if (actual !== resourceVersion) throw new UpgradeConflictError(key, resourceVersion, actual);
    change(current);
    // The resource's replace ignores status; only spec and metadata change.
    const saved = await this.write(key, resourceVersion, "update", RESOURCE, () =>
      this.api.replaceNamespacedCustomObject({ ...API, ...key, body: current }),
    );
    return recordOf(saved);
  }

  private async write(
    key: UpgradeKey,
    resourceVersion: string,
    verb: string,
    resource: string,
    call: () => Promise<unknown>,
  ): Promise<UpgradeObject> {
    try {
      return (await call()) as UpgradeObject;
    } catch (err) {
      const status = apiStatusOf(err);
      if (status?.code === 409) {
        const now = await this.read(key).then(
          (o) => o.metadata.resourceVersion ?? "",
          () => "?",
        );
        throw new UpgradeConflictError(key, resourceVersion, now);
      }
      if (isPlainNotFound(err)) throw new UpgradeNotFoundError(key);
      throw describeKubeError(err, { verb, resource, ...key });
    }
  }

  private async call<T>(verb: string, where: { namespace?: string }, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw describeKubeError(err, { verb, resource: RESOURCE, ...where });
    }
  }
}

/** Custom objects are plain JSON: the informer's generic object is the resource as stored. */
function asUpgrade(obj: KubernetesObject): UpgradeObject {
  return obj as unknown as UpgradeObject;
}

/** A 404 for the object itself, not for the resource type (a missing CRD says so otherwise). */
function isPlainNotFound(err: unknown): boolean {
  const status = apiStatusOf(err);
  return status?.code === 404 && status.details?.name !== undefined;
}
