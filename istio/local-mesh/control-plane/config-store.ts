import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import type { IstioObject } from "../../api/types.js";
import { FieldErrorType, ValidationError } from "../../schema/errors.js";
import { admitIstioObject, validateIstioObject, type FieldValidation } from "../../schema/validate.js";
import { validateEndpointRecord } from "./endpoint-validation.js";
import { AlreadyExistsError, ConflictError, NotFoundError, STALE_OBJECT_MESSAGE } from "./errors.js";
import type {
  ConfigKind,
  ConfigObject,
  ConfigObjectByKind,
  ConfigStore,
  DeleteOptions,
  MeshSnapshot,
  WatchEvent,
  WatchEventType,
  WatchOptions,
} from "./types.js";

/** Options of the in-memory config store. */
export interface ConfigStoreOptions {
  /** Clock for creationTimestamp (default: real time). */
  now?: () => Date;
  /** Unknown-field handling of Istio objects (default `Warn`: prune and warn). */
  fieldValidation?: FieldValidation;
  /** Also run istiod's validating webhook checks (default true, as in a cluster with Istio). */
  istiodWebhook?: boolean;
  /** Receives the API server's warnings (pruned unknown fields). */
  onWarnings?: (
    object: { kind: string; namespace: string; name: string },
    warnings: readonly string[],
  ) => void;
  /** Receives an exception thrown by a watch handler (the write itself still succeeds). */
  onWatchError?: (error: unknown, event: WatchEvent<ConfigObject>) => void;
}

/** Resource names as the API server prints them in errors. */
const RESOURCE: Readonly<Record<ConfigKind, string>> = {
  VirtualService: "virtualservices.networking.istio.io",
  DestinationRule: "destinationrules.networking.istio.io",
  Gateway: "gateways.networking.istio.io",
  ServiceEntry: "serviceentries.networking.istio.io",
  Endpoint: "endpoints.mesh.tranquil.local",
};

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

// Kubernetes timestamps have second precision (RFC 3339, UTC).
function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

type Handler = (event: WatchEvent<ConfigObject>) => void;

/**
 * In-memory store of Istio objects and Endpoints with the Kubernetes API
 * contract: every write validated, resourceVersion from one store-wide revision counter
 * (like etcd's), optimistic concurrency, ordered watch events. The revision is also the
 * MeshSnapshot epoch. Objects handed out are copies; snapshots are deeply frozen.
 */
export class InMemoryConfigStore implements ConfigStore {
  private readonly objects: Record<ConfigKind, Map<string, ConfigObject>> = {
    VirtualService: new Map(),
    DestinationRule: new Map(),
    Gateway: new Map(),
    ServiceEntry: new Map(),
    Endpoint: new Map(),
  };
  private readonly handlers: Record<ConfigKind, Set<Handler>> = {
    VirtualService: new Set(),
    DestinationRule: new Set(),
    Gateway: new Set(),
    ServiceEntry: new Set(),
    Endpoint: new Set(),
  };
  // Services that have ever had an endpoint: a Kubernetes Service outlives its pods.
  private readonly services = new Map<string, Set<number>>();
  private readonly queue: { kind: ConfigKind; event: WatchEvent<ConfigObject> }[] = [];
  private dispatching = false;
  private revision = 0;
  private cached: MeshSnapshot | undefined;
  private readonly now: () => Date;

  constructor(private readonly options: ConfigStoreOptions = {}) {
    this.now = options.now ?? (() => new Date());
  }

  /** Current revision; every successful write increases it. */
  get epoch(): number {
    return this.revision;
  }

  get<K extends ConfigKind>(kind: K, namespace: string, name: string): ConfigObjectByKind[K] | undefined {
    const obj = this.objects[kind].get(key(namespace, name));
    return obj === undefined ? undefined : (structuredClone(obj) as ConfigObjectByKind[K]);
  }

  list<K extends ConfigKind>(kind: K, namespace?: string): ConfigObjectByKind[K][] {
    return [...this.objects[kind].values()]
      .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
      .sort((a, b) =>
        key(a.metadata.namespace, a.metadata.name) < key(b.metadata.namespace, b.metadata.name) ? -1 : 1,
      )
      .map((o) => structuredClone(o) as ConfigObjectByKind[K]);
  }

  create<T extends ConfigObject>(obj: T): T {
    const kind = obj.kind;
    const admitted = this.admit(obj);
    const { namespace, name } = admitted.metadata;
    if (this.objects[kind].has(key(namespace, name))) throw new AlreadyExistsError(RESOURCE[kind], name);
    const rv = this.nextRevision();
    admitted.metadata = {
      ...admitted.metadata,
      resourceVersion: rv,
      uid: randomUUID(),
      generation: 1,
      creationTimestamp: timestamp(this.now()),
    };
    this.commit(kind, admitted, "ADDED");
    return structuredClone(admitted);
  }

  update<T extends ConfigObject>(obj: T): T {
    const kind = obj.kind;
    const { namespace, name, resourceVersion } = obj.metadata;
    const stored = this.objects[kind].get(key(namespace, name));
    if (stored === undefined) throw new NotFoundError(RESOURCE[kind], name);
    if (resourceVersion === undefined || resourceVersion === "") {
      throw new ValidationError(kind, RESOURCE[kind].split(".").slice(1).join("."), name, [
        {
          field: "metadata.resourceVersion",
          type: FieldErrorType.Invalid,
          detail: "0x0: must be specified for an update",
        },
      ]);
    }
    if (resourceVersion !== stored.metadata.resourceVersion) {
      throw new ConflictError(RESOURCE[kind], name, STALE_OBJECT_MESSAGE);
    }
    const admitted = this.admit(obj);
    const specChanged = !isDeepStrictEqual(admitted.spec, stored.spec);
    const metaChanged =
      !isDeepStrictEqual(admitted.metadata.labels, stored.metadata.labels) ||
      !isDeepStrictEqual(admitted.metadata.annotations, stored.metadata.annotations);
    // An update that changes nothing is a no-op: same resourceVersion, no watch event.
    if (!specChanged && !metaChanged) return structuredClone(stored) as T;
    admitted.metadata = {
      ...admitted.metadata,
      // Server-owned fields are kept from the stored object whatever the client sent.
      uid: stored.metadata.uid ?? randomUUID(),
      creationTimestamp: stored.metadata.creationTimestamp ?? timestamp(this.now()),
      generation: (stored.metadata.generation ?? 1) + (specChanged ? 1 : 0),
      resourceVersion: this.nextRevision(),
    };
    this.commit(kind, admitted, "MODIFIED");
    return structuredClone(admitted);
  }

  delete<K extends ConfigKind>(
    kind: K,
    namespace: string,
    name: string,
    options: DeleteOptions = {},
  ): ConfigObjectByKind[K] {
    const stored = this.objects[kind].get(key(namespace, name));
    if (stored === undefined) throw new NotFoundError(RESOURCE[kind], name);
    const pre = options.resourceVersion;
    if (pre !== undefined && pre !== stored.metadata.resourceVersion) {
      throw new ConflictError(
        RESOURCE[kind],
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre}, ResourceVersion in object meta: ${stored.metadata.resourceVersion ?? ""}`,
      );
    }
    this.objects[kind].delete(key(namespace, name));
    // The DELETED event carries the last state at the deletion's resourceVersion.
    const last = { ...stored, metadata: { ...stored.metadata, resourceVersion: this.nextRevision() } };
    this.commit(kind, last, "DELETED");
    return structuredClone(last) as ConfigObjectByKind[K];
  }

  watch<K extends ConfigKind>(
    kind: K,
    handler: (event: WatchEvent<ConfigObjectByKind[K]>) => void,
    options: WatchOptions = {},
  ): () => void {
    const h = handler as Handler;
    if (options.sendInitialEvents === true) {
      for (const obj of this.list(kind)) this.safeCall(h, { type: "ADDED", object: obj });
    }
    this.handlers[kind].add(h);
    return () => {
      this.handlers[kind].delete(h);
    };
  }

  snapshot(): MeshSnapshot {
    if (this.cached?.epoch === this.revision) return this.cached;
    const values = <K extends ConfigKind>(k: K): ConfigObjectByKind[K][] =>
      [...this.objects[k].values()].map((o) => structuredClone(o) as ConfigObjectByKind[K]);
    this.cached = deepFreeze({
      epoch: this.revision,
      virtualServices: values("VirtualService"),
      destinationRules: values("DestinationRule"),
      gateways: values("Gateway"),
      serviceEntries: values("ServiceEntry"),
      endpoints: values("Endpoint").map((r) => r.spec),
      services: [...this.services.keys()].sort(),
      servicePorts: Object.fromEntries(
        [...this.services]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([svc, ports]) => [svc, [...ports].sort((x, y) => x - y)]),
      ),
    });
    return this.cached;
  }

  private admit<T extends ConfigObject>(obj: T): T {
    const o: ConfigObject = obj;
    if (o.kind === "Endpoint") return validateEndpointRecord(structuredClone(o)) as T;
    const fieldValidation = this.options.fieldValidation ?? "Warn";
    const check = this.options.istiodWebhook === false ? validateIstioObject : admitIstioObject;
    const { object, warnings } = check<IstioObject>(o, { fieldValidation });
    if (warnings.length > 0) {
      this.options.onWarnings?.(
        { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name },
        warnings,
      );
    }
    return object as T;
  }

  private nextRevision(): string {
    this.revision += 1;
    return String(this.revision);
  }

  private commit(kind: ConfigKind, obj: ConfigObject, type: WatchEventType): void {
    const k = key(obj.metadata.namespace, obj.metadata.name);
    if (type !== "DELETED") this.objects[kind].set(k, obj);
    if (obj.kind === "Endpoint") {
      const ports = this.services.get(obj.spec.service) ?? new Set<number>();
      ports.add(obj.spec.port);
      this.services.set(obj.spec.service, ports);
    }
    this.queue.push({ kind, event: { type, object: obj } });
    this.dispatch();
  }

  // Events go out in write order. A handler that writes has its events queued behind the
  // current ones instead of being delivered re-entrantly.
  private dispatch(): void {
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
        for (const h of [...this.handlers[next.kind]]) {
          this.safeCall(h, { type: next.event.type, object: structuredClone(next.event.object) });
        }
      }
    } finally {
      this.dispatching = false;
    }
  }

  private safeCall(h: Handler, event: WatchEvent<ConfigObject>): void {
    try {
      h(event);
    } catch (error) {
      this.options.onWatchError?.(error, event);
    }
  }
}

/** Creates the in-memory config store. */
export function createConfigStore(options: ConfigStoreOptions = {}): ConfigStore {
  return new InMemoryConfigStore(options);
}
