import type { HTTPRouteDestination } from "../api/types.js";

/**
 * The destinations that can receive traffic and their weights, as Istio configures Envoy:
 * a single destination gets everything whatever its weight; with several, an omitted or zero
 * weight gets nothing (pilot route.go applyHTTPRouteDestination).
 */
export function effectiveWeights(
  route: readonly HTTPRouteDestination[],
): { dest: HTTPRouteDestination; weight: number }[] {
  if (route.length === 1 && route[0] !== undefined) return [{ dest: route[0], weight: 100 }];
  return route.map((dest) => ({ dest, weight: dest.weight ?? 0 })).filter((d) => d.weight > 0);
}

/** Share of traffic each destination gets (weight ÷ total), in route order. */
export function destinationShares(route: readonly HTTPRouteDestination[]): number[] {
  const eff = effectiveWeights(route);
  const total = eff.reduce((s, d) => s + d.weight, 0);
  return route.map((dest) => {
    const e = eff.find((d) => d.dest === dest);
    return e === undefined || total === 0 ? 0 : e.weight / total;
  });
}

/**
 * Picks one destination with `random()` in [0, 1), as Envoy's weighted_clusters does with its
 * random value (cumulative weights). Undefined when no destination has weight.
 */
export function pickWeighted(
  route: readonly HTTPRouteDestination[],
  random: () => number,
): HTTPRouteDestination | undefined {
  const eff = effectiveWeights(route);
  const total = eff.reduce((s, d) => s + d.weight, 0);
  if (total <= 0) return undefined;
  const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON) * total;
  let cumulative = 0;
  for (const d of eff) {
    cumulative += d.weight;
    if (r < cumulative) return d.dest;
  }
  return eff[eff.length - 1]?.dest;
}
