/**
 * Config epochs (DESIGN §4.7): which version of Tranquil's routing a proxy has applied.
 *
 * The controller names one route of every VirtualService it writes for an upgrade
 * `tranquil-<upgradeId>-e<N>`; Istio turns `http[].name: R` into Envoy route `R`, or `R.M` when the
 * match is named `M` (istio `route.go` `TranslateRoute`). This module reads those names back out of a
 * parsed route dump. The rules are documented in `docs/envoy-admin.md` and ADR 0016.
 */
import type { DumpRouteConfig, DumpVirtualHost } from "./config-dump.js";

/** The result for one (pod, upgrade). */
export type EpochResult =
  /** Every holding virtual host carries a sentinel route; `epoch` is the minimum N. */
  | { readonly status: "confirmed"; readonly epoch: number }
  /** Some virtual host holding a host of the upgrade has no sentinel route for it. */
  | { readonly status: "unconfirmed"; readonly routeConfigs: readonly string[] }
  /** No route configuration on this proxy holds any host of the upgrade. */
  | { readonly status: "absent" };

/** Options for `routeEpochs`. */
export interface RouteEpochOptions {
  /**
   * Also consider static route configurations (only present in a full dump). Default false:
   * VirtualService routes only ever arrive through RDS, and Istio's static inbound configurations
   * route to `inbound|…` clusters.
   */
  readonly includeStatic?: boolean;
}

const MAX_EPOCH_DIGITS = 15; // stays a safe integer

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A matcher for the sentinel route names of one upgrade: `tranquil-<id>-e<N>` or `…-e<N>.<match>`. */
export function sentinelPattern(upgradeId: string): RegExp {
  return new RegExp(`^tranquil-${escapeRegex(upgradeId)}-e(\\d{1,${MAX_EPOCH_DIGITS}})(?:\\..*)?$`);
}

/** The epoch N encoded in a route name for `upgradeId`, or null when the name is not its sentinel. */
export function sentinelEpoch(routeName: string | undefined, upgradeId: string): number | null {
  if (routeName === undefined) return null;
  const digits = sentinelPattern(upgradeId).exec(routeName)?.[1];
  return digits === undefined ? null : Number(digits);
}

/** Drops a trailing `:<port>` from a virtual host domain (`reviews:9080` → `reviews`). */
function domainHost(domain: string): string {
  const m = /^(.*[^:\]]):\d+$/.exec(domain);
  return (m?.[1] ?? domain).toLowerCase();
}

/** `H` itself or a longer name under it (`H.<ns>…`). */
function namesHost(name: string, host: string): boolean {
  return name === host || name.startsWith(`${host}.`);
}

// Istio outbound cluster: outbound|<port>|<subset>|<fqdn> (subset may be empty).
const OUTBOUND_CLUSTER = /^outbound\|\d+\|[^|]*\|([^|]+)$/;

/**
 * Whether a virtual host "holds" service `host` (a short name like `auth-service`, `name.ns`, or an
 * FQDN): one of its domains, port removed, is `host` or starts with `host.`; or one of its routes
 * sends to `outbound|<port>|<subset>|<fqdn>` (weighted clusters too) whose fqdn is `host` or starts
 * with `host.`. Wildcard domains (`*`, `*:80`) hold nothing by themselves.
 */
export function virtualHostHolds(vh: DumpVirtualHost, host: string): boolean {
  const h = host.toLowerCase();
  if (vh.domains.some((d) => namesHost(domainHost(d), h))) return true;
  return vh.routes.some((r) =>
    r.clusters.some((c) => {
      const fqdn = OUTBOUND_CLUSTER.exec(c)?.[1];
      return fqdn !== undefined && namesHost(fqdn.toLowerCase(), h);
    }),
  );
}

/**
 * The config epoch of one upgrade on this proxy.
 *
 * For every route configuration, every virtual host that holds any of `hosts` must carry at least
 * one sentinel route of `upgradeId` (a virtual host that carries one counts even when it holds
 * none of `hosts`: the gateway stamps' virtual hosts, ADR 0090); the virtual host's epoch is the minimum N over its sentinel
 * routes, and the result is the minimum over all holding virtual hosts of all configurations.
 * A holding virtual host without a sentinel makes the whole result `unconfirmed` (it still serves
 * routes Tranquil did not write, or not yet). When nothing holds a host, the result is `absent`:
 * this proxy does not route to the upgrade and has nothing to confirm.
 */
export function routeEpochs(
  configs: readonly DumpRouteConfig[],
  upgradeId: string,
  hosts: readonly string[],
  options: RouteEpochOptions = {},
): EpochResult {
  const pattern = sentinelPattern(upgradeId);
  let min: number | null = null;
  let held = false;
  const unconfirmed = new Set<string>();
  for (const rc of configs) {
    if (!rc.dynamic && options.includeStatic !== true) continue;
    for (const vh of rc.virtualHosts) {
      // A virtual host of no train host counts when it carries the upgrade's sentinel: the
      // controller put it there with gateway stamps (ADR 0090), so its epoch is confirmable.
      const carries = vh.routes.some((r) => r.name !== undefined && pattern.test(r.name));
      if (!carries && !hosts.some((h) => virtualHostHolds(vh, h))) continue;
      held = true;
      let vhMin: number | null = null;
      for (const route of vh.routes) {
        const digits = route.name === undefined ? undefined : pattern.exec(route.name)?.[1];
        if (digits === undefined) continue;
        const n = Number(digits);
        vhMin = vhMin === null ? n : Math.min(vhMin, n);
      }
      if (vhMin === null) unconfirmed.add(rc.name);
      else min = min === null ? vhMin : Math.min(min, vhMin);
    }
  }
  if (!held) return { status: "absent" };
  if (unconfirmed.size > 0 || min === null) return { status: "unconfirmed", routeConfigs: [...unconfirmed] };
  return { status: "confirmed", epoch: min };
}

/**
 * The value to put in `PodReport.epochs[upgradeId]`: the epoch, `null` for unconfirmed, and
 * `undefined` (leave the key out) when the proxy holds no host of the upgrade.
 */
export function reportedEpoch(result: EpochResult): number | null | undefined {
  switch (result.status) {
    case "confirmed":
      return result.epoch;
    case "unconfirmed":
      return null;
    case "absent":
      return undefined;
  }
}
