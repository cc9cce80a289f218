/**
 * The controller's scale: how the routes grow with the active traces, per-trace pinning against
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

/** Route count and evaluation time at each size, for each strategy. */
export async function benchControllerScale(options: BenchRunOptions): Promise<readonly BenchRow[]> {
  const rows: BenchRow[] = [];
  const minMs = options.quick ? 50 : 300;
  for (const n of traceSizes(options.quick)) {
    const ids = activeIds(n);
    for (const layout of layoutsFor(ids)) rows.push(...rowsFor(layout, ids, minMs));
    await new Promise((r) => setImmediate(r));
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const rows = await benchControllerScale({ quick: process.argv.includes("--quick") });
  for (const r of rows) console.log(`${r.name} | ${r.metric} | ${r.value.toPrecision(4)} ${r.unit}`);
}
