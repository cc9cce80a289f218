/**
 * The RouteTable port over the local mesh's config store (istio/local-mesh/control-plane), which mirrors
 * the Kubernetes API contract: 409 on a stale resourceVersion, 404 on a missing object.
 */
import type { ConfigStore } from "../../istio/local-mesh/control-plane/types.js";
import type { DestinationRule, VirtualService } from "../../istio/api/types.js";
import type { DeleteKey, RouteTable } from "../istio/route-table.js";

/** RouteTable backed by a local ConfigStore. */
export class ConfigStoreRouteTable implements RouteTable {
  constructor(private readonly store: ConfigStore) {}

  listVirtualServices(): Promise<readonly VirtualService[]> {
    return Promise.resolve(this.store.list("VirtualService"));
  }

  listDestinationRules(): Promise<readonly DestinationRule[]> {
    return Promise.resolve(this.store.list("DestinationRule"));
  }

  putVirtualService(vs: VirtualService): Promise<VirtualService> {
    return this.put(vs);
  }

  putDestinationRule(dr: DestinationRule): Promise<DestinationRule> {
    return this.put(dr);
  }

  deleteVirtualService(key: DeleteKey): Promise<void> {
    return this.attempt(
      () => void this.store.delete("VirtualService", key.namespace, key.name, precondition(key)),
    );
  }

  deleteDestinationRule(key: DeleteKey): Promise<void> {
    return this.attempt(
      () => void this.store.delete("DestinationRule", key.namespace, key.name, precondition(key)),
    );
  }

  private put<T extends VirtualService | DestinationRule>(obj: T): Promise<T> {
    return this.attempt(() =>
      obj.metadata.resourceVersion === undefined ? this.store.create(obj) : this.store.update(obj),
    );
  }

  /** The store is synchronous; its errors become rejections so callers handle both backends alike. */
  private attempt<T>(write: () => T): Promise<T> {
    try {
      return Promise.resolve(write());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

function precondition(key: DeleteKey): { resourceVersion?: string } {
  return key.resourceVersion === undefined ? {} : { resourceVersion: key.resourceVersion };
}
