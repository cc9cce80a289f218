/**
 * `npx tsx test/sim/cli.ts --seeds 500 [--from 1] [--strategy tranquil|control] [--json]`
 * runs many seeded simulations and prints a summary: clean runs, violations by guarantee,
 * failing seeds with their replay commands, and the worst G3 time against its bound.
 * `--seed N` replays one seed in detail. Exits 1 when a Tranquil run violates a guarantee.
 */
import { Command, InvalidArgumentError } from "commander";
import { runControl } from "./control-run.js";
import { runMany, type ManySummary } from "./many.js";
import type { RunResult } from "./run.js";
import { describeRun } from "./seed-suite.js";
import { runTranquil } from "./tranquil-run.js";

/** The runners the CLI knows. */
export const RUNNERS: Readonly<Record<string, (seed: number) => RunResult>> = {
  tranquil: (seed) => runTranquil(seed),
  control: (seed) => runControl(seed),
};

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`expected a non-negative integer, got "${value}"`);
  return n;
}

/** Formats a summary as a few human-readable lines. */
export function formatSummary(s: ManySummary): string {
  const lines = [
    `${s.strategy}: ${s.clean}/${s.runs} runs clean in ${s.wallMs} ms (${(s.wallMs / Math.max(1, s.runs)).toFixed(1)} ms/run)`,
    `outcomes: ${JSON.stringify(s.outcomes)}`,
    `violations by guarantee: ${JSON.stringify(s.byGuarantee)}`,
    `ingress transactions ${s.totals.ingressTxns}, mixed ${s.totals.mixedIngress}; bypass mixed (best effort) ${s.totals.mixedBypass}; controller restarts ${s.totals.restarts}`,
    `G3: measured p50 ${s.g3MeasuredMs === null ? "n/a" : Math.round(s.g3MeasuredMs.p50)} ms, max ${s.g3MeasuredMs === null ? "n/a" : Math.round(s.g3MeasuredMs.max)} ms; worst measured/bound ${s.worstG3Ratio === null ? "n/a" : s.worstG3Ratio.toFixed(2)}`,
  ];
  for (const f of s.failing.slice(0, 20))
    lines.push(`  seed ${f.seed}: ${f.violations.join(" | ")}\n    ${f.replay}`);
  if (s.failing.length > 20) lines.push(`  … and ${s.failing.length - 20} more failing seeds`);
  return lines.join("\n");
}

/** Parses `argv` and runs; returns the exit code. */
export function main(argv: readonly string[]): number {
  const program = new Command()
    .name("sim")
    .description("Run seeded upgrade simulations and check Tranquil's guarantees")
    .option("--seeds <n>", "number of seeds", integer, 200)
    .option("--from <n>", "first seed", integer, 1)
    .option("--seed <n>", "replay one seed in detail", integer)
    .option("--strategy <name>", "tranquil (decide()) or control (per-request weights)", "tranquil")
    .option("--json", "print the summary as JSON")
    .exitOverride();
  program.parse([...argv], { from: "user" });
  const opts = program.opts<{
    seeds: number;
    from: number;
    seed?: number;
    strategy: string;
    json?: boolean;
  }>();
  const runner = RUNNERS[opts.strategy];
  if (runner === undefined) {
    console.error(`unknown strategy "${opts.strategy}"; use one of: ${Object.keys(RUNNERS).join(", ")}`);
    return 2;
  }
  if (opts.seed !== undefined) {
    const r = runner(opts.seed);
    console.log(describeRun(r));
    return r.violations.length > 0 && opts.strategy === "tranquil" ? 1 : 0;
  }
  const summary = runMany(opts.from, opts.seeds, runner);
  console.log(opts.json === true ? JSON.stringify(summary, null, 2) : formatSummary(summary));
  return summary.failing.length > 0 && opts.strategy === "tranquil" ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1] ?? ""}`) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    // commander already printed usage errors; anything else is a bug worth its stack.
    if (!(err instanceof Error && "code" in err && String(err.code).startsWith("commander.")))
      console.error(err);
    process.exitCode = 2;
  }
}
