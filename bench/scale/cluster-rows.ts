/** The bench rows of the API-requests-per-upgrade run (bench/scale/cluster-requests.ts). */
import type { BenchRow } from "../run.js";
import { REQUEST_BUDGET, byVerb, isControllerResource } from "./apiserver-metrics.js";
import type { ClusterRequests } from "./cluster-requests.js";

/** Per verb against its budget, then each controller resource's requests, then the Events. */
export function clusterRows(r: ClusterRequests): BenchRow[] {
  const name = "k8s API requests per upgrade (controller resources)";
  const rows: BenchRow[] = [
    {
      name,
      metric: `upgrade ended ${r.phase === "Succeeded" ? "Succeeded (1 = yes)" : r.phase}`,
      value: r.phase === "Succeeded" ? 1 : 0,
      unit: "bool",
    },
    { name, metric: "upgrade duration", value: r.upgradeMs / 1000, unit: "s" },
  ];
  const verbs = byVerb(r.perUpgrade, isControllerResource);
  for (const [verb, budget] of Object.entries(REQUEST_BUDGET)) {
    const n = verbs[verb] ?? 0;
    rows.push({ name, metric: `${verb} (budget ${budget})`, value: n, unit: "requests" });
    rows.push({ name, metric: `${verb} within budget (1 = met)`, value: n <= budget ? 1 : 0, unit: "bool" });
  }
  for (const [key, n] of Object.entries(r.perUpgrade).sort()) {
    const resource = key.split(" ")[1] ?? "";
    if (isControllerResource(resource) || resource.startsWith("events"))
      rows.push({
        name: "k8s API requests per upgrade, by resource",
        metric: key,
        value: n,
        unit: "requests",
      });
  }
  return rows;
}
