/**
 * Shared body of the many-seed test files: runs a block of seeds (or only `SIM_SEED` when
 * set, to replay one), prints every failing seed with its one-line replay command, and
 * fails when any run violates a guarantee. `SIM_SEEDS` scales the block size.
 */
import { expect, it } from "vitest";
import { runMany } from "./many.js";
import { replayCommand, type RunResult } from "./run.js";

/** Seeds per block when `SIM_SEEDS` is not set. */
export const DEFAULT_BLOCK = 500;

/** Formats a run for a failure message or a replay. */
export function describeRun(r: RunResult): string {
  const status = r.journal.lastStatus as
    { history?: { at: number; phase: string; message: string }[] } | undefined;
  const history = (status?.history ?? []).map((h) => `  ${h.at} ${h.phase}: ${h.message}`).join("\n");
  return [
    `seed ${r.seed} (${r.strategy}) → ${r.finalPhase}, expected ${r.expected}; ${r.virtualMs} ms virtual`,
    `replay: ${replayCommand(r.seed, r.strategy)}`,
    `scenario: ${JSON.stringify({ services: r.scenario.services, entryInTrain: r.scenario.entryInTrain, userRouteHasSubset: r.scenario.userRouteHasSubset, gateways: r.scenario.gateways, laggardExtraMs: Math.round(r.scenario.laggardExtraMs), outages: r.scenario.outages.length, alsLoss: r.scenario.alsLoss, newFails: r.scenario.newFails, restartProbability: r.scenario.restartProbability })}`,
    `counts: ${JSON.stringify(r.counts)}; restarts ${r.journal.restarts}`,
    `g3: ${r.g3 === null ? "n/a" : `${Math.round(r.g3.measuredMs)} ms of bound ${Math.round(r.g3.bound.totalMs)} ms`}`,
    ...r.violations.map((v) => `violation: ${v}`),
    `history:\n${history}`,
  ].join("\n");
}

/** Registers the test for seeds [from, from + count) of `strategy`, or the replayed `SIM_SEED`. */
export function seedBlock(strategy: string, block: number, run: (seed: number) => RunResult): void {
  const env = process.env;
  const replay = env["SIM_SEED"];
  const only = env["SIM_STRATEGY"];
  const size = Number(env["SIM_SEEDS"] ?? DEFAULT_BLOCK);
  if (only !== undefined && only !== strategy) return;
  if (replay !== undefined) {
    if (block !== 0) return;
    it(`replays seed ${replay} with ${strategy}`, () => {
      const r = run(Number(replay));
      console.log(describeRun(r));
      expect(r.violations).toEqual([]);
    });
    return;
  }
  const from = 1 + block * size;
  it(
    `keeps every guarantee over seeds ${from}..${from + size - 1} (${strategy})`,
    { timeout: 600_000 },
    () => {
      const summary = runMany(from, size, run);
      for (const f of summary.failing)
        console.log(`FAILING seed ${f.seed}: ${f.violations.join(" | ")}\n  replay: ${f.replay}`);
      console.log(
        `${strategy} seeds ${from}..${from + size - 1}: ${summary.clean}/${summary.runs} clean in ${summary.wallMs} ms; outcomes ${JSON.stringify(summary.outcomes)}; restarts ${summary.totals.restarts}; worst G3 ratio ${summary.worstG3Ratio?.toFixed(2) ?? "n/a"}`,
      );
      expect(summary.failing.map((f) => `seed ${f.seed}: ${f.violations.join(" | ")} (${f.replay})`)).toEqual(
        [],
      );
    },
  );
}
