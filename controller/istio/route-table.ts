/**
 * The RouteTable (the Istio adapter's port, not the engine's): VirtualServices and DestinationRules with optimistic concurrency.
 * The Kubernetes API server and the local mesh's config store both implement it. Writes carry
 * `metadata.resourceVersion`; a stale one fails with an error whose `status` is 409.
 */
import type { DestinationRule, VirtualService } from "../../istio/api/types.js";

/** A namespaced object reference. */
export interface ObjectKey {
  readonly namespace: string;
  readonly name: string;
}

/** An object to delete, with the resourceVersion it was read at (the delete's precondition). */
export interface DeleteKey extends ObjectKey {
  /** When set, the delete fails with a 409 if the object changed since. */
  readonly resourceVersion?: string;
}

/** Reads and writes Istio routing objects. */
export interface RouteTable {
  listVirtualServices(): Promise<readonly VirtualService[]>;
  listDestinationRules(): Promise<readonly DestinationRule[]>;
  /** Creates when `metadata.resourceVersion` is absent, else replaces if it is current. */
  putVirtualService(vs: VirtualService): Promise<VirtualService>;
  putDestinationRule(dr: DestinationRule): Promise<DestinationRule>;
  /** Deletes the object, refused with a 409 when `key.resourceVersion` is stale. */
  deleteVirtualService(key: DeleteKey): Promise<void>;
  /** Deletes the object, refused with a 409 when `key.resourceVersion` is stale. */
  deleteDestinationRule(key: DeleteKey): Promise<void>;
}

/** True for a 409 (stale resourceVersion, or created meanwhile). */
export function isConflict(err: unknown): boolean {
  return (err as { status?: unknown } | null)?.status === 409;
}

/** True for a 404. */
export function isNotFound(err: unknown): boolean {
  return (err as { status?: unknown } | null)?.status === 404;
}
