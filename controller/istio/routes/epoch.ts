/**
 * Route-table facts the engine observes: the highest Tranquil epoch present (GitOps revert
 * detection reads `Observations.routes.epochInTable`), and the gateways whose pods must
 * confirm it (ADR 0090).
 */
import type { VirtualService } from "../../../istio/api/types.js";
import { sentinelEpoch } from "./names.js";
import { gatewayBindingsOf } from "./stamp.js";

/** The highest sentinel epoch of upgrade `id` in the VirtualServices, or null when none carries one. */
export function highestEpoch(id: string, virtualServices: readonly VirtualService[]): number | null {
  let best: number | null = null;
  for (const vs of virtualServices) {
    for (const route of vs.spec.http ?? []) {
      const epoch = sentinelEpoch(id, route.name);
      if (epoch !== undefined && (best === null || epoch > best)) best = epoch;
    }
  }
  return best;
}

/** The gateways (`<namespace>/<name>`) bound by a VirtualService that carries a sentinel of upgrade `id`. */
export function sentinelGateways(id: string, virtualServices: readonly VirtualService[]): string[] {
  const out = new Set<string>();
  for (const vs of virtualServices) {
    if (!(vs.spec.http ?? []).some((route) => sentinelEpoch(id, route.name) !== undefined)) continue;
    for (const gateway of gatewayBindingsOf(vs)) out.add(gateway);
  }
  return [...out].sort();
}
