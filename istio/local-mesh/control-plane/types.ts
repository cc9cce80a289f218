import type { DestinationRule, Gateway, ObjectMeta, ServiceEntry, VirtualService } from "../../api/types.js";

/** One workload instance (a pod) of a service, as the mesh's endpoint discovery sees it. */
export interface Endpoint {
  /** Short service name (`order`). */
  service: string;
  /** `127.0.0.1:<port>` where the instance (its sidecar inbound) listens. */
  address: string;
  /** Service port the endpoint serves (used in cluster names `outbound|<port>|…`). */
  port: number;
  /** Pod labels, including `app` and `version`; subsets select on these. */
  labels: Record<string, string>;
  /** Unique pod name; the key of the endpoint. */
  pod: string;
  /** Only ready endpoints receive traffic. */
  ready: boolean;
}

/** Everything a proxy routes by, at one config version. */
export interface MeshSnapshot {
  /** Store-wide config version: strictly increases with every write. */
  readonly epoch: number;
  readonly virtualServices: readonly VirtualService[];
  readonly destinationRules: readonly DestinationRule[];
  /** Gateways: which gateway proxies (by labels) expose which hosts on which ports. */
  readonly gateways: readonly Gateway[];
  /** ServiceEntries: hosts added to the service registry. */
  readonly serviceEntries: readonly ServiceEntry[];
  readonly endpoints: readonly Endpoint[];
  /**
   * Services that exist (short names), including those without endpoints right now: a
   * Kubernetes Service outlives its pods, so its cluster stays (503 `UH`, not `NC`).
   */
  readonly services?: readonly string[];
  /** Ports of each existing service (short name → ports), kept after its pods are gone. */
  readonly servicePorts?: Readonly<Record<string, readonly number[]>>;
}

/** API version of the store's own Endpoint records. */
export const LOCAL_MESH_V1 = "mesh.tranquil.local/v1" as const;

/** An Endpoint kept in the config store as a Kubernetes-style object (name = pod). */
export interface EndpointRecord {
  apiVersion: typeof LOCAL_MESH_V1;
  kind: "Endpoint";
  metadata: ObjectMeta;
  spec: Endpoint;
}

/** Object kinds the config store holds. */
export const ConfigKind = {
  VirtualService: "VirtualService",
  DestinationRule: "DestinationRule",
  Gateway: "Gateway",
  ServiceEntry: "ServiceEntry",
  Endpoint: "Endpoint",
} as const;
/** One of the config store's kinds. */
export type ConfigKind = (typeof ConfigKind)[keyof typeof ConfigKind];

/** Maps a kind to its object type. */
export interface ConfigObjectByKind {
  VirtualService: VirtualService;
  DestinationRule: DestinationRule;
  Gateway: Gateway;
  ServiceEntry: ServiceEntry;
  Endpoint: EndpointRecord;
}
/** Any object the config store holds. */
export type ConfigObject = ConfigObjectByKind[ConfigKind];

/** Kubernetes watch event types. */
export const WatchEventType = {
  Added: "ADDED",
  Modified: "MODIFIED",
  Deleted: "DELETED",
} as const;
/** One of ADDED, MODIFIED, DELETED. */
export type WatchEventType = (typeof WatchEventType)[keyof typeof WatchEventType];

/** A watch event; `object` is the object after the change (the last state for DELETED). */
export interface WatchEvent<T> {
  readonly type: WatchEventType;
  readonly object: T;
}

/** Options of `watch`. */
export interface WatchOptions {
  /** Replay every existing object as ADDED first (Kubernetes `sendInitialEvents`). */
  sendInitialEvents?: boolean;
}

/** Options of `delete`. */
export interface DeleteOptions {
  /** Precondition: delete only if the stored resourceVersion still equals this. */
  resourceVersion?: string;
}

/**
 * The local control plane's store, mirroring the Kubernetes API contract: AlreadyExists (409)
 * on create, Conflict (409) on a stale resourceVersion, NotFound (404), ordered watch events.
 * Every Istio object write is validated against Istio's schema.
 * Returned objects are deep copies; mutating them does not change the store.
 */
export interface ConfigStore {
  get<K extends ConfigKind>(kind: K, namespace: string, name: string): ConfigObjectByKind[K] | undefined;
  /** Objects of a kind, in one namespace or all, sorted by namespace then name. */
  list<K extends ConfigKind>(kind: K, namespace?: string): ConfigObjectByKind[K][];
  /** Creates; sets resourceVersion, uid, generation 1, creationTimestamp. */
  create<T extends ConfigObject>(obj: T): T;
  /** Replaces; `metadata.resourceVersion` is required and must be current. */
  update<T extends ConfigObject>(obj: T): T;
  /** Deletes and returns the last state. */
  delete<K extends ConfigKind>(
    kind: K,
    namespace: string,
    name: string,
    options?: DeleteOptions,
  ): ConfigObjectByKind[K];
  /** Ordered ADDED/MODIFIED/DELETED events of one kind; returns the unsubscribe function. */
  watch<K extends ConfigKind>(
    kind: K,
    handler: (event: WatchEvent<ConfigObjectByKind[K]>) => void,
    options?: WatchOptions,
  ): () => void;
  /** Current epoch (bumped on every successful write). */
  readonly epoch: number;
  /** Everything at the current epoch, for pushing to proxies. */
  snapshot(): MeshSnapshot;
}

/** Opaque timer handle. */
export type TimerHandle = unknown;

/** Injected timers (real ones by default, fakes in tests). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** A delay range in milliseconds, drawn uniformly. */
export interface DelayRange {
  minMs: number;
  maxMs: number;
}

/**
 * Per-proxy push delay distribution: uniform in `[minMs, maxMs]`, except with probability
 * `tail.probability` a draw from `tail` (seconds-long tails).
 */
export interface DelayDistribution extends DelayRange {
  tail?: { probability: number } & DelayRange;
}

/** Options of one registered proxy. */
export interface ProxyPushOptions {
  /** Replaces the scheduler's distribution for this proxy (e.g. a far-lagging proxy). */
  delay?: DelayDistribution;
}

/** Receives snapshots for one proxy. */
export type DeliverFn = (snapshot: MeshSnapshot) => void;

/**
 * Pushes each config change to every registered proxy after that proxy's own random delay.
 * Deliveries to one proxy never go backwards in epoch.
 */
export interface PushScheduler {
  /** Registers a proxy; it receives the current snapshot at once. Returns unregister. */
  register(proxyId: string, deliver: DeliverFn, options?: ProxyPushOptions): () => void;
  /** Schedules delivery of a snapshot to every proxy (the store watch calls this). */
  push(snapshot: MeshSnapshot): void;
  /** The epoch last delivered to a proxy, if any. */
  deliveredEpoch(proxyId: string): number | undefined;
  /** Cancels pending deliveries and stops watching. */
  close(): void;
}
