import type { UpstreamEndpoint } from "./route-port.js";

/** True when `ep` carries every label of the subset (Istio subset selection). */
export function matchesLabels(ep: UpstreamEndpoint, labels: Readonly<Record<string, string>>): boolean {
  return Object.entries(labels).every(([k, v]) => ep.labels[k] === v);
}

/**
 * Round robin over the healthy endpoints of one subset cluster, skipping hosts already tried
 * (Istio's retry host predicate `previous_hosts`), so a retry reaches another host of the SAME
 * cluster and never another subset.
 */
export class RoundRobin {
  private readonly cursors = new Map<string, number>();

  /** Picks the next endpoint of `cluster` from `candidates` not in `tried`, or undefined. */
  pick(
    cluster: string,
    candidates: readonly UpstreamEndpoint[],
    tried: ReadonlySet<string>,
  ): UpstreamEndpoint | undefined {
    const n = candidates.length;
    if (n === 0) return undefined;
    const start = this.cursors.get(cluster) ?? 0;
    for (let i = 0; i < n; i++) {
      const ep = candidates[(start + i) % n];
      if (ep !== undefined && !tried.has(ep.address)) {
        this.cursors.set(cluster, (start + i + 1) % n);
        return ep;
      }
    }
    return undefined;
  }
}
