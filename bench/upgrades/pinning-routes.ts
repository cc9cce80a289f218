/**
 * Per-trace pinning as first described for this system: snapshot the transaction ids active on
 * the old version, pin each with an exact header match to the old subset, and send everything
 * else to the new one. The benchmarks use it as a strategy (`upgrades`) and to count how the
 * VirtualService grows with the active traces (`controller-scale`); Tranquil itself never writes
 * per-id routes.
 */
import type { HTTPRoute, VirtualServiceSpec } from "../../istio/api/types.js";

/** What to pin. */
export interface PinningInput {
  /** The service's own routes, all to `from` (as the user wrote them). */
  readonly spec: VirtualServiceSpec;
  /** The ids of the transactions active on `from` at the snapshot. */
  readonly ids: readonly string[];
  readonly from: string;
  readonly to: string;
  /** The header that carries the id (default `x-request-id`). */
  readonly header?: string;
}

function retarget(route: HTTPRoute, from: string, to: string): HTTPRoute {
  if (route.route === undefined) return route;
  return {
    ...route,
    route: route.route.map((d) =>
      d.destination.subset === from ? { ...d, destination: { ...d.destination, subset: to } } : d,
    ),
  };
}

/**
 * The spec with one pinned route per id and user route (each of the route's match blocks, or a
 * match-all, ANDed with the id's exact header match, to `from`), followed by the user's routes
 * retargeted to `to`. The route count is `ids × routes + routes`.
 */
export function pinnedSpec(input: PinningInput): VirtualServiceSpec {
  const header = input.header ?? "x-request-id";
  const routes = input.spec.http ?? [];
  const pins: HTTPRoute[] = input.ids.flatMap((id, i) =>
    routes.map((r, j) => ({
      ...r,
      name: `pin-${i}-${r.name ?? j}`,
      match: (r.match ?? [{}]).map((m) => ({ ...m, headers: { ...m.headers, [header]: { exact: id } } })),
    })),
  );
  return { ...input.spec, http: [...pins, ...routes.map((r) => retarget(r, input.from, input.to))] };
}
