import { hostMatchRank, namespaceOf, resolveShortname, shortName } from "./hosts.js";
import type { DestinationRule, Destination, Subset } from "../api/types.js";
import { byCreation, isExportedTo } from "./visibility.js";

/** Envoy cluster name Istio builds: `outbound|<port>|<subset>|<fqdn>` (BuildSubsetKey). */
export function clusterName(port: number, subset: string | undefined, fqdn: string): string {
  return `outbound|${String(port)}|${subset ?? ""}|${fqdn}`;
}

/** Parses a cluster name back into its parts; undefined when it is not one. */
export function parseClusterName(
  name: string,
): { direction: string; port: number; subset: string; fqdn: string } | undefined {
  const parts = name.split("|");
  if (parts.length !== 4) return undefined;
  const [direction, port, subset, fqdn] = parts as [string, string, string, string];
  const n = Number(port);
  if (!Number.isInteger(n)) return undefined;
  return { direction, port: n, subset, fqdn };
}

/**
 * The DestinationRule that applies to a host for a proxy: visible under exportTo, with the most
 * specific host match; on a tie the proxy's namespace, then the service's, then the oldest.
 */
export function destinationRuleFor(
  rules: readonly DestinationRule[],
  fqdn: string,
  proxyNamespace: string,
): DestinationRule | undefined {
  const serviceNs = namespaceOf(fqdn);
  const prefer = (dr: DestinationRule): number =>
    dr.metadata.namespace === proxyNamespace ? 2 : dr.metadata.namespace === serviceNs ? 1 : 0;
  let best: DestinationRule | undefined;
  let bestRank = -1;
  for (const dr of [...rules].sort(byCreation)) {
    if (!isExportedTo(dr.metadata, dr.spec.exportTo, proxyNamespace)) continue;
    const rank = hostMatchRank(resolveShortname(dr.spec.host, dr.metadata.namespace), fqdn);
    if (rank === undefined) continue;
    if (rank > bestRank || (rank === bestRank && best !== undefined && prefer(dr) > prefer(best))) {
      best = dr;
      bestRank = rank;
    }
  }
  return best;
}

/** What the proxy knows about services: which exist, and the port of single-port ones. */
export interface ServiceRegistry {
  exists(fqdn: string): boolean;
  /** The port when the service has exactly one (Istio then uses it for the cluster). */
  singlePort(fqdn: string): number | undefined;
}

/** A destination resolved to a cluster, or why it cannot be. */
export type ResolvedDestination =
  | {
      readonly ok: true;
      readonly fqdn: string;
      readonly host: string;
      readonly subset?: string;
      readonly port: number;
      readonly cluster: string;
      readonly endpointLabels: Readonly<Record<string, string>>;
    }
  | { readonly ok: false; readonly cluster: string; readonly reason: string };

/**
 * Resolves a route destination as Istio does: host qualified in the VirtualService's
 * namespace; port = destination port, else the service's only port, else the listener port;
 * a subset must exist in the applicable DestinationRule, else the cluster does not exist
 * (Envoy answers 503 `NC`). A destination without subset selects every instance (`{}`).
 */
export function resolveDestination(
  dest: Destination,
  vsNamespace: string,
  listenerPort: number,
  rules: readonly DestinationRule[],
  registry: ServiceRegistry,
  proxyNamespace: string,
): ResolvedDestination {
  const fqdn = resolveShortname(dest.host, vsNamespace);
  const port = dest.port?.number ?? registry.singlePort(fqdn) ?? listenerPort;
  const subsetName = dest.subset !== undefined && dest.subset !== "" ? dest.subset : undefined;
  const cluster = clusterName(port, subsetName, fqdn);
  if (!registry.exists(fqdn)) {
    return { ok: false, cluster, reason: `no service ${fqdn}` };
  }
  let subset: Subset | undefined;
  if (subsetName !== undefined) {
    const dr = destinationRuleFor(rules, fqdn, proxyNamespace);
    subset = dr?.spec.subsets?.find((s) => s.name === subsetName);
    if (subset === undefined) {
      return {
        ok: false,
        cluster,
        reason:
          dr === undefined
            ? `no DestinationRule for ${fqdn} defines subset ${subsetName}`
            : `DestinationRule ${dr.metadata.namespace}/${dr.metadata.name} has no subset ${subsetName}`,
      };
    }
  }
  return {
    ok: true,
    fqdn,
    host: shortName(fqdn),
    ...(subsetName === undefined ? {} : { subset: subsetName }),
    port,
    cluster,
    endpointLabels: { ...(subset?.labels ?? {}) },
  };
}
