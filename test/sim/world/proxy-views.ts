/**
 * What a proxy's admin endpoints show, derived from the config version its admin view runs:
 * the subset clusters `/clusters` can list, and the config epoch its TraceManager confirms
 * (DESIGN §4.7: the minimum over the route configurations holding a train host or the
 * upgrade's sentinel, one VirtualService per host here; one of a train host without the
 * sentinel counts as unconfirmed). Cached per
 * config version because every heartbeat asks.
 */
import { sentinelEpoch } from "../../../controller/istio/routes/index.js";
import type { SimScenario } from "../scenario.js";
import type { ConfigStore } from "./config-store.js";
import { deploymentKey, type Proxy } from "./types.js";

/** Views of a proxy's admin endpoints. */
export interface ProxyViews {
  /** `host@version` of every subset (selecting that version label) defined at a config version. */
  subsetsAt(version: number): ReadonlySet<string>;
  /** Min epoch over the train's VirtualServices this proxy receives; null = unconfirmed; undefined = none received. */
  configEpoch(proxy: Proxy): number | null | undefined;
}

/** Creates the views over `config` for the scenario's train. */
export function createProxyViews(config: ConfigStore, s: SimScenario): ProxyViews {
  const trainServices = new Set(s.services);
  const subsetCache = new Map<number, Set<string>>();
  const epochCache = new Map<string, number | null | undefined>();
  return {
    subsetsAt(version) {
      let set = subsetCache.get(version);
      if (set === undefined) {
        set = new Set();
        for (const dr of config.at(version).destinationRules) {
          for (const sub of dr.spec.subsets ?? []) {
            const v = sub.labels?.["version"];
            if (v !== undefined) set.add(deploymentKey(dr.spec.host, v));
          }
        }
        subsetCache.set(version, set);
      }
      return set;
    },
    configEpoch(proxy) {
      const key = `${proxy.adminVersion}|${proxy.binding}`;
      if (epochCache.has(key)) return epochCache.get(key);
      let result: number | null | undefined = undefined;
      for (const vs of config.at(proxy.adminVersion).virtualServices) {
        if (!(vs.spec.gateways ?? ["mesh"]).includes(proxy.binding)) continue;
        let epoch: number | null = null;
        for (const r of vs.spec.http ?? []) {
          epoch = sentinelEpoch(s.upgradeId, r.name) ?? epoch;
        }
        // A VirtualService of no train host counts when it carries the sentinel (the gateway
        // stamps', ADR 0090), as the TraceManager's route epochs count its virtual host.
        if (epoch === null && !(vs.spec.hosts ?? []).some((h) => trainServices.has(h))) continue;
        if (epoch === null) result = null;
        else if (result === undefined) result = epoch;
        else if (result !== null) result = Math.min(result, epoch);
      }
      epochCache.set(key, result);
      return result;
    },
  };
}
