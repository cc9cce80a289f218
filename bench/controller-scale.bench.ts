/**
 * The controller's scale: reconcile cost of concurrent upgrades on the local backend as upgrades
 * and active transactions grow (bench/scale/reconcile-scale.ts), Kubernetes API requests per
 * upgrade on the local cluster (bench/scale/cluster-requests.ts), how the routes grow with the active traces, per-trace pinning against
 * Tranquil's planner, and what that costs the route evaluator per request (pinned last, pinned
 * first, unpinned). Alone: `npx tsx bench/controller-scale.bench.ts [--quick]`; the bench runner
 * imports `benchControllerScale`.
 */
import { pathToFileURL } from "node:url";
import type { BenchRow, BenchRunOptions } from "./run.js";
import {
  activeIds,
  medianEvaluationMs,
  pinningLayout,
  requestFor,
  routeCount,
  routedTo,
  snapshotOf,
  tranquilLayout,
  type RouteLayout,
} from "./scale/route-growth.js";
import {
  growthRow,
  measureReconcileScale,
  reconcileRows,
  type ReconcileScale,
} from "./scale/reconcile-scale.js";
import { percentile } from "./scale/port-timing.js";
import { measureClusterRequests } from "./scale/cluster-requests.js";
import { clusterRows } from "./scale/cluster-rows.js";

/** Active-trace sizes of a full and a quick run. */
export function traceSizes(quick: boolean): number[] {
  return quick ? [100, 1000] : [100, 1000, 10000];
}

function layoutsFor(ids: readonly string[]): RouteLayout[] {
  return [
    pinningLayout(ids),
    tranquilLayout("tranquil door open", { mode: "doorOpen", sentinel: true, pins: [] }),
    tranquilLayout("tranquil flipped, ids pinned", { mode: "flipped", sentinel: true, pins: ids }),
  ];
}

function rowsFor(layout: RouteLayout, ids: readonly string[], minMs: number): BenchRow[] {
  const name = `routes ${layout.strategy} @${ids.length} traces`;
  const snapshot = snapshotOf(layout);
  const first = requestFor(ids[0]);
  const last = requestFor(ids[ids.length - 1]);
  const unpinned = requestFor(undefined);
  return [
    { name, metric: "http routes", value: routeCount(layout), unit: "routes" },
    { name, metric: "eval p50 pinned last", value: medianEvaluationMs(snapshot, last, minMs), unit: "ms" },
    { name, metric: "eval p50 pinned first", value: medianEvaluationMs(snapshot, first, minMs), unit: "ms" },
    { name, metric: "eval p50 unpinned", value: medianEvaluationMs(snapshot, unpinned, minMs), unit: "ms" },
    {
      name,
      metric: "pinned last reaches old (1 = yes)",
      value: routedTo(snapshot, last) === "v1" ? 1 : 0,
      unit: "bool",
    },
  ];
}

/** Fleet sizes (upgrades, then active transactions) of a full and a quick run. */
export function fleetSizes(quick: boolean): { upgrades: [number, number]; transactions: [number, number] } {
  return quick
    ? { upgrades: [5, 20], transactions: [100, 1000] }
    : { upgrades: [10, 100], transactions: [1000, 10000] };
}

const p50 = (v: readonly number[]): number => percentile(v, 50);

/** Reconcile cost at the four corners of the fleet sizes, and how it grows along each axis. */
export async function reconcileScaleRows(quick: boolean): Promise<BenchRow[]> {
  const {
    upgrades: [fewU, manyU],
    transactions: [fewT, manyT],
  } = fleetSizes(quick);
  const rounds = quick ? 25 : 40;
  const runs = new Map<string, ReconcileScale>();
  const rows: BenchRow[] = [];
  for (const [u, t] of [
    [fewU, fewT],
    [fewU, manyT],
    [manyU, fewT],
    [manyU, manyT],
  ] as const) {
    const s = await measureReconcileScale(u, t, rounds, 3);
    runs.set(`${u}/${t}`, s);
    rows.push(...reconcileRows(s));
  }
  // The largest fleet again on Redis (its own server on loopback): 25 unmeasured rounds all at
  // once take the upgrades to Draining, then 5 measured rounds.
  rows.push(
    ...reconcileRows(await measureReconcileScale(manyU, manyT, 5, 1, { store: "redis", warmRounds: 25 })),
  );
  const at = (u: number, t: number): ReconcileScale => runs.get(`${u}/${t}`) as ReconcileScale;
  const byUpgrades = `growth ${fewU}→${manyU} upgrades @${manyT} txns`;
  const byTxns = `growth ${fewT}→${manyT} txns @${manyU} upgrades`;
  const [small, large] = [at(fewU, manyT), at(manyU, manyT)];
  const [fewer, more] = [at(manyU, fewT), at(manyU, manyT)];
  rows.push(
    growthRow(byUpgrades, "reconcile p50", p50(small.totalMs), p50(large.totalMs)),
    growthRow(byUpgrades, "query p50", p50(small.queryMs), p50(large.queryMs)),
    growthRow(
      byUpgrades,
      "all at once, round p50",
      p50(small.concurrentRoundMs),
      p50(large.concurrentRoundMs),
    ),
    growthRow(byUpgrades, "heap held", small.heapMb, large.heapMb),
    growthRow(byTxns, "reconcile p50", p50(fewer.totalMs), p50(more.totalMs)),
    growthRow(byTxns, "query p50", p50(fewer.queryMs), p50(more.queryMs)),
    growthRow(byTxns, "all at once, round p50", p50(fewer.concurrentRoundMs), p50(more.concurrentRoundMs)),
    growthRow(byTxns, "heap held", fewer.heapMb, more.heapMb),
  );
  return rows;
}

/** Route count and evaluation time at each size, for each strategy. */
export async function routeGrowthRows(options: BenchRunOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const minMs = options.quick ? 50 : 300;
  for (const n of traceSizes(options.quick)) {
    const ids = activeIds(n);
    for (const layout of layoutsFor(ids)) rows.push(...rowsFor(layout, ids, minMs));
    await new Promise((r) => setImmediate(r));
  }
  return rows;
}

/** Kubernetes API requests of one upgrade on the local cluster (full runs only: it boots a cluster). */
export async function clusterRequestRows(quick: boolean): Promise<BenchRow[]> {
  if (quick)
    return [
      {
        name: "k8s API requests per upgrade",
        metric: "skipped in --quick (boots a cluster)",
        value: 0,
        unit: "",
      },
    ];
  return clusterRows(await measureClusterRequests(15_000));
}

/** The controller's scale: reconcile cost, API requests per upgrade, then route growth. */
export async function benchControllerScale(options: BenchRunOptions): Promise<readonly BenchRow[]> {
  return [
    ...(await reconcileScaleRows(options.quick)),
    ...(await clusterRequestRows(options.quick)),
    ...(await routeGrowthRows(options)),
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const rows = await benchControllerScale({ quick: process.argv.includes("--quick") });
  for (const r of rows) console.log(`${r.name} | ${r.metric} | ${r.value.toPrecision(4)} ${r.unit}`);
}
