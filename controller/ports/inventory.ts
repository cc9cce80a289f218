/**
 * The Inventory port: which proxies exist, from the platform's own records (Kubernetes Pods and
 * Gateways, or the local mesh's instances), not from what TraceManagers report. The engine
 * needs it because a proxy that never reports must not be skipped silently (DESIGN §4.7).
 */

/** One proxy that receives routing for a namespace's services. */
export interface ProxyEntry {
  /** The pod's name. */
  readonly pod: string;
  readonly role: "gateway" | "sidecar";
  /** Sidecars: the service and version the pod belongs to. */
  readonly service?: string;
  readonly version?: string;
  /** False when the pod runs without a TraceManager: it cannot confirm config epochs itself. */
  readonly traceManager: boolean;
  /** A terminating pod does not confirm. */
  readonly terminating: boolean;
}

/** A Gateway resource and the gateway pods that serve it. */
export interface GatewayEntry {
  readonly namespace: string;
  readonly name: string;
  readonly pods: readonly string[];
}

/** Reads what runs. */
export interface Inventory {
  /** Every gateway pod and every sidecar pod that may route to `namespace`'s services. */
  proxies(namespace: string): Promise<readonly ProxyEntry[]>;
  /** Which gateway pods serve which Gateway. */
  gateways(): Promise<readonly GatewayEntry[]>;
}
