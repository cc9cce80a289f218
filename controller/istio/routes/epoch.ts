/**
 * Route-table facts the engine observes: the highest Tranquil epoch present (GitOps revert
 * detection reads `Observations.routes.epochInTable`).
 */
import type { VirtualService } from "../../../istio/api/types.js";
import { sentinelEpoch } from "./names.js";

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
