import { hostMatchRank, resolveShortname } from "./hosts.js";
import { qualifyGateway } from "./match.js";
import type { VirtualService } from "../api/types.js";
import { byCreation, isExportedTo } from "./visibility.js";

/** The gateways a VirtualService is bound to; omitted or empty means `mesh` only. */
export function boundGateways(vs: VirtualService): string[] {
  const gws = vs.spec.gateways ?? [];
  if (gws.length === 0) return ["mesh"];
  return gws.map((g) => qualifyGateway(g, vs.metadata.namespace));
}

/** Best rank of a VirtualService's hosts against any of the request's host names. */
function hostRank(vs: VirtualService, names: readonly string[]): number | undefined {
  let best: number | undefined;
  for (const h of vs.spec.hosts ?? []) {
    const pattern = resolveShortname(h, vs.metadata.namespace);
    for (const name of names) {
      const r = hostMatchRank(pattern, name);
      if (r !== undefined && (best === undefined || r > best)) best = r;
    }
  }
  return best;
}

/**
 * The VirtualServices whose routes serve a request: visible to the proxy, bound to its gateway
 * (and admitted by `admit`, a Gateway's server hosts), and with the most specific host match
 * (an exact host beats a wildcard, as Envoy picks a virtual host). Sidecars use only the oldest
 * such VirtualService (Istio drops conflicting duplicates); gateways merge them, oldest first.
 */
export function selectVirtualServices(
  all: readonly VirtualService[],
  hostNames: readonly string[],
  gateway: string,
  proxyNamespace: string,
  admit: (vs: VirtualService) => boolean = () => true,
): VirtualService[] {
  let bestRank = -1;
  let best: VirtualService[] = [];
  for (const vs of all) {
    if (!isExportedTo(vs.metadata, vs.spec.exportTo, proxyNamespace)) continue;
    if (!boundGateways(vs).includes(gateway) || !admit(vs)) continue;
    const rank = hostRank(vs, hostNames);
    if (rank === undefined || rank < bestRank) continue;
    if (rank > bestRank) {
      bestRank = rank;
      best = [];
    }
    best.push(vs);
  }
  best.sort(byCreation);
  return gateway === "mesh" ? best.slice(0, 1) : best;
}
