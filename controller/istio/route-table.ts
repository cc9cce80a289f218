/**
 * The RouteTable port: VirtualServices and DestinationRules with optimistic concurrency.
 * The Kubernetes API server and the local mesh's config store both implement it. Writes carry
 * `metadata.resourceVersion`; a stale one fails with an error whose `status` is 409.
 */
import type { DestinationRule, VirtualService } from "../../istio/api/types.js";

/** A namespaced object reference. */
export interface ObjectKey {
  readonly namespace: string;
  readonly name: string;
}

/** Reads and writes Istio routing objects. */
export interface RouteTable {
  listVirtualServices(): Promise<readonly VirtualService[]>;
  listDestinationRules(): Promise<readonly DestinationRule[]>;
  /** Creates when `metadata.resourceVersion` is absent, else replaces if it is current. */
  putVirtualService(vs: VirtualService): Promise<VirtualService>;
  putDestinationRule(dr: DestinationRule): Promise<DestinationRule>;
  deleteVirtualService(key: ObjectKey): Promise<void>;
  deleteDestinationRule(key: ObjectKey): Promise<void>;
}

/** True for a 409 (stale resourceVersion, or created meanwhile). */
export function isConflict(err: unknown): boolean {
  return (err as { status?: unknown } | null)?.status === 409;
}

/** True for a 404. */
export function isNotFound(err: unknown): boolean {
  return (err as { status?: unknown } | null)?.status === 404;
}
