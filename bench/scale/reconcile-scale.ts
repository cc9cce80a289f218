/**
 * Reconcile cost of a fleet of concurrent upgrades: per reconcile (one upgrade's tick, run one
 * at a time so each is timed alone), the query time (the Observer gathering from the trace
 * store, the route table and the workloads), the write time (router, workloads, enrolment and
 * upgrade-store calls) and the decision time (the rest: decide() and the reconciler's own work,
 * in process); then the wall time of a round where every upgrade reconciles at once, and memory.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { BenchRow } from "../run.js";
import { startFleet, type FleetStore } from "./local-fleet.js";
import { percentile } from "./port-timing.js";

/** One fleet size's figures. */
export interface ReconcileScale {
  readonly store: FleetStore;
  readonly upgrades: number;
  readonly transactions: number;
  readonly reconciles: number;
  readonly totalMs: readonly number[];
  readonly queryMs: readonly number[];
  readonly writeMs: readonly number[];
  readonly decisionMs: readonly number[];
  /** Per port the observer reads (trace store, route table, inventory, workloads): time per reconcile. */
  readonly queryByPort: Readonly<Record<string, readonly number[]>>;
  readonly concurrentRoundMs: readonly number[];
  /** Heap the fleet holds (stores, reconciler, records), after a full GC, minus before it started. */
  readonly heapMb: number;
  /** The process's resident memory at the end (all runs before it included). */
  readonly rssMb: number;
  readonly errors: number;
  readonly phases: Record<string, number>;
}

/**
 * Full garbage collections after the event loop has run (so what the previous fleet left in
 * timers and settled promises is released), so heap figures hold only what is still referenced.
 */
async function collectGarbage(): Promise<void> {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  await new Promise((r) => setTimeout(r, 50));
  gc();
  gc();
}

const WRITE_PORTS = ["router", "workloads", "enrolment", "upgradeStore"];

/** Where the fleet's trace store lives, and unmeasured all-at-once rounds run first. */
export interface ReconcileScaleOptions {
  readonly store?: FleetStore;
  /** Rounds run all at once before the measured ones (to reach Draining sooner). */
  readonly warmRounds?: number;
}

/** Runs `rounds` sequential rounds and `concurrentRounds` all-at-once rounds over a new fleet. */
export async function measureReconcileScale(
  upgrades: number,
  transactions: number,
  rounds: number,
  concurrentRounds: number,
  options: ReconcileScaleOptions = {},
): Promise<ReconcileScale> {
  await collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const store = options.store ?? "memory";
  const fleet = await startFleet(upgrades, transactions, store);
  const totalMs: number[] = [];
  const queryMs: number[] = [];
  const writeMs: number[] = [];
  const decisionMs: number[] = [];
  const concurrentRoundMs: number[] = [];
  const queryByPort: Record<string, number[]> = {};
  try {
    for (let r = 0; r < (options.warmRounds ?? 0); r += 1) {
      await fleet.heartbeat();
      await Promise.all(fleet.keys.map((k) => fleet.reconciler.trigger(k)));
    }
    for (let r = 0; r < rounds; r += 1) {
      await fleet.heartbeat();
      for (const key of fleet.keys) {
        fleet.timings.clear();
        const start = performance.now();
        await fleet.reconciler.trigger(key);
        const total = performance.now() - start;
        const query = fleet.timings.get("observer")?.ms ?? 0;
        const write = WRITE_PORTS.reduce((sum, p) => sum + (fleet.timings.get(p)?.ms ?? 0), 0);
        totalMs.push(total);
        queryMs.push(query);
        writeMs.push(write);
        decisionMs.push(Math.max(0, total - query - write));
        for (const [port, t] of fleet.timings)
          if (port.startsWith("query:")) (queryByPort[port.slice(6)] ??= []).push(t.ms);
      }
    }
    for (let r = 0; r < concurrentRounds; r += 1) {
      await fleet.heartbeat();
      const start = performance.now();
      await Promise.all(fleet.keys.map((k) => fleet.reconciler.trigger(k)));
      concurrentRoundMs.push(performance.now() - start);
    }
    await collectGarbage();
    const mem = process.memoryUsage();
    return {
      store,
      upgrades,
      transactions,
      reconciles: totalMs.length,
      totalMs,
      queryMs,
      writeMs,
      decisionMs,
      queryByPort,
      concurrentRoundMs,
      heapMb: (mem.heapUsed - heapBefore) / 2 ** 20,
      rssMb: mem.rss / 2 ** 20,
      errors: fleet.errors(),
      phases: await fleet.phases(),
    };
  } finally {
    await fleet.close();
  }
}

/** The rows of one fleet size. */
export function reconcileRows(s: ReconcileScale): BenchRow[] {
  const name = `reconcile ${s.upgrades} upgrades @${s.transactions} txns${s.store === "redis" ? " (redis)" : ""}`;
  const row = (metric: string, value: number, unit: string): BenchRow => ({ name, metric, value, unit });
  return [
    row("reconciles measured", s.reconciles, "count"),
    row("reconcile p50", percentile(s.totalMs, 50), "ms"),
    row("reconcile p99", percentile(s.totalMs, 99), "ms"),
    row("query p50", percentile(s.queryMs, 50), "ms"),
    row("query p99", percentile(s.queryMs, 99), "ms"),
    ...Object.entries(s.queryByPort).map(([port, ms]) =>
      row(`query: ${port} reads p50`, percentile(ms, 50), "ms"),
    ),
    row("decision p50", percentile(s.decisionMs, 50), "ms"),
    row("decision p99", percentile(s.decisionMs, 99), "ms"),
    row("writes p50", percentile(s.writeMs, 50), "ms"),
    row("writes p99", percentile(s.writeMs, 99), "ms"),
    row("all upgrades at once, round p50", percentile(s.concurrentRoundMs, 50), "ms"),
    row("goal reconcile p99 < 50 ms (1 = met)", percentile(s.totalMs, 99) < 50 ? 1 : 0, "bool"),
    row("heap held by the fleet", s.heapMb, "MB"),
    row("rss", s.rssMb, "MB"),
    row("reconcile errors", s.errors, "count"),
    ...Object.entries(s.phases).map(([phase, n]) => row(`upgrades in ${phase} at the end`, n, "count")),
  ];
}

/** Growth of `metric` from `small` to `large`, as a ratio row. */
export function growthRow(name: string, metric: string, small: number, large: number): BenchRow {
  return { name, metric, value: small === 0 ? 0 : large / small, unit: "×" };
}
