/**
 * The RouteTable port on the Kubernetes API: `networking.istio.io/v1` VirtualServices and
 * DestinationRules, listed from informer caches (no polling) and written with the
 * resourceVersion they were read at. Objects stay plain JSON end to end, so every field,
 * label, annotation, route and subset Tranquil does not own passes through as stored. A list
 * right after our own write, or after a 409, serves what the API server returned (ADR 0077).
 * Errors carry `status` (409 stale or exists, 404 gone, 422 refused by Istio's schema with the
 * field named) as `isConflict` and `isNotFound` expect.
 */
import type { DestinationRule, VirtualService } from "../../../istio/api/types.js";
import type { DeleteKey, RouteTable } from "../../istio/route-table.js";
import { ROUTE_RESOURCES } from "./istio-resources.js";
import { RouteResource, type RouteResourceOptions } from "./route-resource.js";

export { FIELD_MANAGER, type RouteChange } from "./route-resource.js";

/** Options of {@link KubeRouteTable.start}. */
export type KubeRouteTableOptions = RouteResourceOptions;

/** Istio routing objects on the API server. */
export class KubeRouteTable implements RouteTable {
  private constructor(
    private readonly virtualServices: RouteResource<VirtualService>,
    private readonly destinationRules: RouteResource<DestinationRule>,
  ) {}

  /** Starts the informers of both kinds; rejects (a KubeApiError) when either first list fails. */
  static async start(options: KubeRouteTableOptions): Promise<KubeRouteTable> {
    const vs = await RouteResource.start<VirtualService>(ROUTE_RESOURCES.VirtualService, options);
    try {
      const dr = await RouteResource.start<DestinationRule>(ROUTE_RESOURCES.DestinationRule, options);
      return new KubeRouteTable(vs, dr);
    } catch (err) {
      await vs.stop();
      throw err;
    }
  }

  listVirtualServices(): Promise<readonly VirtualService[]> {
    return Promise.resolve(this.virtualServices.list());
  }

  listDestinationRules(): Promise<readonly DestinationRule[]> {
    return Promise.resolve(this.destinationRules.list());
  }

  putVirtualService(vs: VirtualService): Promise<VirtualService> {
    return this.virtualServices.put(vs);
  }

  putDestinationRule(dr: DestinationRule): Promise<DestinationRule> {
    return this.destinationRules.put(dr);
  }

  deleteVirtualService(key: DeleteKey): Promise<void> {
    return this.virtualServices.delete(key);
  }

  deleteDestinationRule(key: DeleteKey): Promise<void> {
    return this.destinationRules.delete(key);
  }

  /** Objects served from our own writes (or post-conflict reads) until the informers have them. */
  get pendingWrites(): number {
    return this.virtualServices.pendingWrites + this.destinationRules.pendingWrites;
  }

  /** Stops both kinds' informers. */
  async stop(): Promise<void> {
    await Promise.all([this.virtualServices.stop(), this.destinationRules.stop()]);
  }
}
