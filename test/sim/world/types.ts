/**
 * The simulated world's moving parts: pods (train instances, the `api` entry, `batch`
 * bypass callers, ingress gateways), the proxy beside each, and its TraceManager.
 */

/** Name of the non-upgraded entry service when the train is not the first hop. */
export const ENTRY_SERVICE = "api";
/** Name of the non-upgraded service whose calls bypass the ingress. */
export const BYPASS_SERVICE = "batch";

/** The key of a Deployment (and of a subset cluster): `service@version`. */
export function deploymentKey(service: string, version: string): string {
  return `${service}@${version}`;
}

/** Lifecycle of a pod: starting → ready → terminating → gone. */
export type PodState = "starting" | "ready" | "terminating" | "gone";

/** The proxy of a pod: the config it runs and the endpoints it knows. */
export interface Proxy {
  /** `mesh` for sidecars, the gateway binding for gateways. */
  readonly binding: string;
  /** Config version the admin view (`/config_dump`) shows. */
  adminVersion: number;
  /** Config version the worker threads route by (a little behind the admin view). */
  routingVersion: number;
  /** When the last scheduled push reaches this proxy (xDS delivers in order). */
  lastArrival: number;
  /** Pods this proxy lists as endpoints (EDS view). */
  readonly endpoints: Set<Pod>;
  /** This proxy receives every push late. */
  readonly laggard: boolean;
}

/** The TraceManager of a pod, as far as the world needs it. */
export interface TraceManagerState {
  up: boolean;
  dirty: boolean;
  dirtySince: number;
  dirtyReasons: string[];
  /** The ground-truth record of the current dirty interval (closed when clean again). */
  dirtyInterval: { from: number; to: number } | null;
  /** Calls (or ingress transactions) whose start or end was not recorded, still to be reconciled. */
  readonly unaccounted: Set<number>;
  watermark: number | null;
  lastHeartbeat: number | null;
  /** Gateways: the weight and weight version applied. */
  weight: number;
  weightVersion: number;
}

/** One pod with its proxy and TraceManager. */
export interface Pod {
  readonly id: string;
  readonly role: "gateway" | "sidecar";
  readonly service: string;
  readonly version: string;
  state: PodState;
  readonly createdAt: number;
  readyAt: number | null;
  terminatingAt: number | null;
  goneAt: number | null;
  readonly proxy: Proxy;
  readonly tm: TraceManagerState;
  /** Ground truth: calls this pod is serving now. */
  active: number;
  /** Ground truth: ids of the calls this pod is serving now. */
  readonly activeCalls: Set<number>;
}

/** A Deployment of one version of one service. */
export interface Deployment {
  readonly service: string;
  readonly version: string;
  replicas: number;
  readonly pods: Pod[];
}
