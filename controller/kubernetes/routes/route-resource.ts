/**
 * One Istio routing kind on the API server: informers over the watched namespaces (or all), the
 * write-through cache that lists serve from, and the writes, as plain JSON through
 * CustomObjectsApi so that no field is lost to a typed model. Creates carry no resourceVersion;
 * replaces carry the one the object was read at; deletes carry it as a precondition. Every write
 * names the field manager `tranquil` and asks for strict field validation, so a field the
 * installed Istio does not know is refused (422) instead of silently pruned.
 */
import { CustomObjectsApi, type KubeConfig, type KubernetesListObject } from "@kubernetes/client-node";
import type { DeleteKey } from "../../istio/route-table.js";
import { startInformer, type Backoff, type ResourceInformer } from "../informer.js";
import { apiStatusOf, describeKubeError, KubeApiError } from "../kube-errors.js";
import { collectionPath, resourceName, type RouteKind, type RouteResourceApi } from "./istio-resources.js";
import { WriteThroughCache, type CachedObject } from "./write-through-cache.js";

/** The field manager of Tranquil's writes (`metadata.managedFields`). */
export const FIELD_MANAGER = "tranquil";

/** A routing object as the API server stores it: plain JSON, every field kept. */
export interface RouteObject extends CachedObject {
  readonly apiVersion: string;
  readonly kind: string;
}

/** A change the informer saw, from any writer. */
export interface RouteChange {
  readonly kind: RouteKind;
  readonly type: "ADDED" | "MODIFIED" | "DELETED";
  readonly namespace: string;
  readonly name: string;
  readonly resourceVersion: string | undefined;
}

/** Options shared by both kinds. */
export interface RouteResourceOptions {
  readonly kc: KubeConfig;
  /** The namespaces to watch and write; all when omitted. */
  readonly namespaces?: readonly string[];
  readonly backoff?: Backoff;
  readonly clock?: () => number;
  /** The longest an own write hides the informer's copy (default 30 s). */
  readonly overlayMaxAgeMs?: number;
  /** Every change the informers deliver, after the cache has it. */
  readonly onChange?: (change: RouteChange) => void;
  /** A watch failed; the informer restarts it with backoff. */
  readonly onError?: (err: KubeApiError) => void;
}

type Informer = ResourceInformer<RouteObject & { metadata: { namespace: string; name: string } }>;

/** The objects of one kind, listed from informers and written through the API. */
export class RouteResource<T extends RouteObject> {
  private readonly informers: Informer[] = [];
  private readonly cache: WriteThroughCache<T>;
  private readonly objects: CustomObjectsApi;

  private constructor(
    private readonly api: RouteResourceApi,
    private readonly options: RouteResourceOptions,
  ) {
    this.objects = options.kc.makeApiClient(CustomObjectsApi);
    this.cache = new WriteThroughCache<T>(
      {
        all: () => this.informers.flatMap((i) => i.list()) as unknown as T[],
        get: (namespace, name) =>
          this.informers.map((i) => i.get(name, namespace)).find((o) => o !== undefined) as T | undefined,
      },
      {
        ...(options.clock !== undefined ? { clock: options.clock } : {}),
        ...(options.overlayMaxAgeMs !== undefined ? { maxAgeMs: options.overlayMaxAgeMs } : {}),
      },
    );
  }

  /** Starts the informers; resolves once every first list is in, rejects with what failed. */
  static async start<T extends RouteObject>(
    api: RouteResourceApi,
    options: RouteResourceOptions,
  ): Promise<RouteResource<T>> {
    const resource = new RouteResource<T>(api, options);
    try {
      for (const namespace of options.namespaces ?? [undefined]) {
        resource.informers.push(await resource.startInformer(namespace));
      }
    } catch (err) {
      await resource.stop();
      throw describeKubeError(err, {
        verb: "list",
        resource: resourceName(api),
        ...(options.namespaces !== undefined ? { namespace: options.namespaces.join(", ") } : {}),
        server: options.kc.getCurrentCluster()?.server ?? "",
      });
    }
    return resource;
  }

  /** Every object, sorted by namespace then name, as the server last told us; deep copies. */
  list(): T[] {
    return this.cache.list();
  }

  /** Creates `obj` when it has no resourceVersion, else replaces it if that version is current. */
  async put(obj: T): Promise<T> {
    const { namespace, name, resourceVersion } = obj.metadata;
    const creating = resourceVersion === undefined;
    this.refuseUnwatched(namespace, creating ? "create" : "update", name);
    const where = { group: this.api.group, version: this.api.version, plural: this.api.plural, namespace };
    const write = { fieldManager: FIELD_MANAGER, fieldValidation: "Strict", body: obj };
    try {
      const saved = (await (creating
        ? this.objects.createNamespacedCustomObject({ ...where, ...write })
        : this.objects.replaceNamespacedCustomObject({ ...where, name, ...write }))) as T;
      this.cache.wrote(saved);
      return structuredClone(saved);
    } catch (err) {
      throw await this.failed(err, creating ? "create" : "update", namespace, name);
    }
  }

  /** Deletes the object; with `key.resourceVersion`, only if it is still that version (else 409). */
  async delete(key: DeleteKey): Promise<void> {
    const { namespace, name } = key;
    this.refuseUnwatched(namespace, "delete", name);
    try {
      const last = (await this.objects.deleteNamespacedCustomObject({
        group: this.api.group,
        version: this.api.version,
        plural: this.api.plural,
        namespace,
        name,
        ...(key.resourceVersion !== undefined
          ? { body: { preconditions: { resourceVersion: key.resourceVersion } } }
          : {}),
      })) as Partial<T> & { metadata?: { deletionTimestamp?: string; finalizers?: string[] } };
      // With finalizers left, the object stays until they are removed: it is still there.
      if (last.metadata?.deletionTimestamp !== undefined && (last.metadata.finalizers ?? []).length > 0)
        this.cache.wrote(last as T);
      else this.cache.deleted(namespace, name, last.metadata?.uid);
    } catch (err) {
      throw await this.failed(err, "delete", namespace, name);
    }
  }

  /** Stops the informers. */
  async stop(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.stop()));
    this.informers.length = 0;
  }

  /** How many objects are served from our own writes until the informer has them. */
  get pendingWrites(): number {
    return this.cache.pending;
  }

  private async startInformer(namespace: string | undefined): Promise<Informer> {
    const where = { group: this.api.group, version: this.api.version, plural: this.api.plural };
    let marker = 0;
    const change =
      (type: RouteChange["type"], apply: (obj: T) => void) =>
      (raw: RouteObject): void => {
        const obj = raw as T;
        apply(obj);
        const { namespace: ns, name, resourceVersion } = obj.metadata;
        this.options.onChange?.({ kind: this.api.kind, type, namespace: ns, name, resourceVersion });
      };
    return startInformer<RouteObject & { metadata: { namespace: string; name: string } }>({
      kc: this.options.kc,
      path: collectionPath(this.api, namespace),
      list: async () => {
        marker = this.cache.mark();
        return (await (namespace === undefined
          ? this.objects.listClusterCustomObject(where)
          : this.objects.listNamespacedCustomObject({ ...where, namespace }))) as KubernetesListObject<
          RouteObject & { metadata: { namespace: string; name: string } }
        >;
      },
      onAdd: change("ADDED", (o) => this.cache.observed(o)),
      onUpdate: change("MODIFIED", (o) => this.cache.observed(o)),
      onDelete: change("DELETED", (o) => this.cache.observedDelete(o)),
      onResync: () => this.cache.relisted(marker),
      onError: (err) =>
        this.options.onError?.(
          describeKubeError(err, {
            verb: "watch",
            resource: resourceName(this.api),
            ...(namespace !== undefined ? { namespace } : {}),
          }),
        ),
      ...(this.options.backoff !== undefined ? { backoff: this.options.backoff } : {}),
    });
  }

  /** A failed write as a KubeApiError; after a 409 or a 404 the cache takes what is stored now. */
  private async failed(err: unknown, verb: string, namespace: string, name: string): Promise<KubeApiError> {
    const code = apiStatusOf(err)?.code;
    if (code === 409 || code === 404) await this.refresh(namespace, name);
    return describeKubeError(err, { verb, resource: resourceName(this.api), namespace, name });
  }

  /** Reads the object now, so the next plan starts from it and not from a lagging informer. */
  private async refresh(namespace: string, name: string): Promise<void> {
    try {
      const now = (await this.objects.getNamespacedCustomObject({
        group: this.api.group,
        version: this.api.version,
        plural: this.api.plural,
        namespace,
        name,
      })) as T;
      this.cache.wrote(now);
    } catch (err) {
      const status = apiStatusOf(err);
      if (status?.code === 404 && status.details?.name !== undefined) this.cache.deleted(namespace, name);
      // Any other failure: the informer's copy stays; the retry's own write will say what is wrong.
    }
  }

  /**
   * Writes go only where the informers look, or the route table could not see its own objects.
   * Refused as a 403: permanent until the configuration changes.
   */
  private refuseUnwatched(namespace: string, verb: string, name: string): void {
    const watched = this.options.namespaces;
    if (watched === undefined || watched.includes(namespace)) return;
    throw new KubeApiError(
      403,
      "NamespaceNotWatched",
      `cannot ${verb} ${resourceName(this.api)} ${name} in namespace ${namespace}: the controller watches only ${watched.join(", ")}; add the namespace to the watched namespaces`,
    );
  }
}
