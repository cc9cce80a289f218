import type { ActiveUpgrade, EnvoyFigures } from "../store/port.js";
import type { Role } from "../config.js";
import { EnvoyAdminClient } from "../envoy-admin/client.js";
import { envoyFigures } from "../envoy-admin/figures.js";
import { reportedEpoch, routeEpochs } from "../envoy-admin/route-epochs.js";
import type { EnvoySource } from "./envoy-source.js";

/** The `EnvoySource` over the pod's real Envoy admin endpoint (the envoy-admin parsers). */
export function envoyAdminSource(
  baseUrl: string,
  role: Role,
  timeoutMs: number,
  fetchImpl?: typeof fetch,
): EnvoySource {
  const client = new EnvoyAdminClient({
    baseUrl,
    timeoutMs,
    ...(fetchImpl === undefined ? {} : { fetchImpl }),
  });
  return {
    async figures(now: number): Promise<EnvoyFigures> {
      const [stats, clusters] = await Promise.all([client.stats(), client.clusters()]);
      return envoyFigures({ stats, clusters, readAt: now, role });
    },
    async epochs(upgrades: readonly ActiveUpgrade[]): Promise<Record<string, number | null>> {
      if (upgrades.length === 0) return {};
      const configs = await client.routeConfigs();
      const out: Record<string, number | null> = {};
      for (const u of upgrades) {
        const epoch = reportedEpoch(routeEpochs(configs, u.id, u.hosts));
        // undefined: no route configuration here holds a host of the upgrade; nothing to confirm.
        if (epoch !== undefined) out[u.id] = epoch;
      }
      return out;
    },
  };
}
