/**
 * Kubernetes API requests per upgrade, from the API server's own `apiserver_request_total`: the
 * local cluster boots (test/cluster/e2e), one controller replica starts and settles, an idle
 * window is scraped, then one upgrade (auth-service v1→v2, steps 10/50/100) runs under the e2e
 * load and is scraped the same way. The idle rate, scaled to the upgrade's length, is taken off;
 * the benchmark's own requests (the Upgrade's creation, its polling GETs) are taken off too.
 */
import { request } from "node:https";
import { CustomObjectsApi } from "@kubernetes/client-node";
import { TERMINAL_PHASES } from "../../controller/engine/phases.js";
import { bootClusterE2e, type ClusterE2e } from "../../test/cluster/e2e/cluster-e2e.js";
import { startUsers, strategy } from "../../test/e2e/harness.js";
import { diffCounts, lessBaseline, parseRequestCounts, type RequestCounts } from "./apiserver-metrics.js";

const API = { group: "tranquil.dev", version: "v1alpha1", plural: "upgrades" };
const UPGRADES = "upgrades.tranquil.dev";

/** What one upgrade cost the API server. */
export interface ClusterRequests {
  readonly phase: string;
  readonly upgradeMs: number;
  readonly idleMs: number;
  /** `VERB resource` → requests during the upgrade, less the idle baseline and the bench's own. */
  readonly perUpgrade: RequestCounts;
  /** The idle baseline itself, per minute. */
  readonly idlePerMinute: RequestCounts;
}

async function scrape(c: ClusterE2e): Promise<RequestCounts> {
  const text = await new Promise<string>((resolve, reject) => {
    const req = request(
      `${c.env.cp.server}/metrics`,
      { ca: c.env.cp.caPem, headers: { authorization: `Bearer ${c.env.cp.token}` } },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve(body));
      },
    );
    req.on("error", reject);
    req.end();
  });
  return parseRequestCounts(text);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Boots the cluster, measures one upgrade's API requests, and stops everything. */
export async function measureClusterRequests(idleMs: number): Promise<ClusterRequests> {
  const c = await bootClusterE2e();
  try {
    const replica = await c.startReplica("bench-scale");
    while (!replica.controller.isLeader()) await sleep(100);
    // Let its informers list and watch, then the idle window.
    await sleep(3_000);
    const idleStart = await scrape(c);
    const idleT0 = Date.now();
    await sleep(idleMs);
    const idleEnd = await scrape(c);
    const measuredIdleMs = Date.now() - idleT0;
    const users = startUsers(c.mesh);
    const api = c.env.kc.makeApiClient(CustomObjectsApi);
    const before = await scrape(c);
    const t0 = Date.now();
    await api.createNamespacedCustomObject({
      ...API,
      namespace: c.namespace,
      body: {
        apiVersion: "tranquil.dev/v1alpha1",
        kind: "Upgrade",
        metadata: { name: "auth-v2" },
        spec: {
          services: [{ name: "auth-service", from: "v1", to: "v2" }],
          strategy: strategy([10, 50, 100]),
        },
      },
    });
    let polls = 0;
    let phase = "";
    while (Date.now() - t0 < 150_000) {
      await sleep(1_000);
      polls += 1;
      const u = (await api.getNamespacedCustomObject({
        ...API,
        namespace: c.namespace,
        name: "auth-v2",
      })) as {
        status?: { phase?: string };
      };
      phase = u.status?.phase ?? "";
      if ((TERMINAL_PHASES as readonly string[]).includes(phase)) break;
    }
    const upgradeMs = Date.now() - t0;
    const after = await scrape(c);
    await users.finish();
    const idle = diffCounts(idleStart, idleEnd);
    const during = diffCounts(before, after);
    // The bench's own: one POST, its polling GETs, and the two /metrics scrapes (no resource).
    const own: RequestCounts = { [`POST ${UPGRADES}`]: 1, [`GET ${UPGRADES}`]: polls };
    for (const [k, v] of Object.entries(own)) during[k] = (during[k] ?? 0) - v;
    const perMinute = 60_000 / measuredIdleMs;
    return {
      phase,
      upgradeMs,
      idleMs: measuredIdleMs,
      perUpgrade: lessBaseline(during, idle, upgradeMs, measuredIdleMs),
      idlePerMinute: Object.fromEntries(Object.entries(idle).map(([k, v]) => [k, v * perMinute])),
    };
  } finally {
    await c.stop();
  }
}
