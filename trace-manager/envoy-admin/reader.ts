/**
 * What a TraceManager asks its Envoy at each heartbeat: the figures, and while the controller waits
 * for confirmation (`ActiveUpgrade.watchEpochs`), the config epoch of each such upgrade.
 */
import type { ActiveUpgrade, EnvoyFigures } from "../store/port.js";
import type { EnvoyAdminClient } from "./client.js";
import { envoyFigures } from "./figures.js";
import { reportedEpoch, routeEpochs } from "./route-epochs.js";
import type { ProxyRole } from "./stat-names.js";

/** Reads `/stats` and `/clusters` together and builds the figures, stamped with `now()`. */
export async function readEnvoyFigures(
  client: Pick<EnvoyAdminClient, "stats" | "clusters">,
  now: () => number,
  role: ProxyRole,
): Promise<EnvoyFigures> {
  const [stats, clusters] = await Promise.all([client.stats(), client.clusters()]);
  return envoyFigures({ stats, clusters, readAt: now(), role });
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A `name_regex` for the route configurations Istio can put a host's routes in. It filters on
 * RouteConfiguration names, not route names (SHAPES.md §2.1), and only to shrink the answer: a
 * configuration it let through that holds no host is ignored, but one it wrongly filtered out
 * would go unseen, so it errs wide. Istio's names: sidecar `<port>`, gateway `http.<port>` and
 * `https.<port>.<server port name>.<gateway>.<ns>`, and per-service `<fqdn>:<port>` (2019 sidecar
 * sample); anything else containing a host's name is let through as well.
 */
export function routeConfigNameRegex(hosts: readonly string[]): string {
  const named = [...new Set(hosts.map((h) => h.toLowerCase()))].map((h) => `|.*${escapeRegex(h)}.*`);
  return `^((http\\.)?\\d+|https\\.\\d+\\..*${named.join("")})$`;
}

/**
 * `PodReport.epochs` for the upgrades being watched: upgrade id → epoch, or null when unconfirmed.
 * Upgrades whose hosts this proxy does not route to are left out. One `/config_dump` call covers
 * all of them; no call is made when none is watched. `nameRegex` picks the configurations asked for.
 */
export async function readEpochs(
  client: Pick<EnvoyAdminClient, "routeConfigs">,
  upgrades: readonly Pick<ActiveUpgrade, "id" | "hosts" | "watchEpochs">[],
  nameRegex: (hosts: readonly string[]) => string = routeConfigNameRegex,
): Promise<Record<string, number | null>> {
  const watched = upgrades.filter((u) => u.watchEpochs);
  if (watched.length === 0) return {};
  const configs = await client.routeConfigs(nameRegex(watched.flatMap((u) => u.hosts)));
  const out: Record<string, number | null> = {};
  for (const u of watched) {
    const epoch = reportedEpoch(routeEpochs(configs, u.id, u.hosts));
    if (epoch !== undefined) out[u.id] = epoch;
  }
  return out;
}
