/**
 * Runs many seeds and summarises them: clean runs, violations by guarantee, failing seeds
 * with their replay commands, and the G3 margins.
 */
import { replayCommand, type RunResult } from "./run.js";

/** A summary over many runs. */
export interface ManySummary {
  readonly strategy: string;
  readonly runs: number;
  readonly clean: number;
  /** Runs violating each guarantee (the prefix of a violation line: G1, G2, G3, G5, termination, outcome). */
  readonly byGuarantee: Readonly<Record<string, number>>;
  readonly failing: readonly {
    readonly seed: number;
    readonly replay: string;
    readonly violations: readonly string[];
  }[];
  readonly outcomes: Readonly<Record<string, number>>;
  readonly totals: {
    readonly ingressTxns: number;
    readonly mixedIngress: number;
    readonly mixedBypass: number;
    readonly restarts: number;
  };
  /** Largest measured G3 time over its bound (1 = at the bound), over runs that removed old. */
  readonly worstG3Ratio: number | null;
  /** Measured G3 times (ms) over runs that removed old: median and maximum. */
  readonly g3MeasuredMs: { readonly p50: number; readonly max: number } | null;
  readonly wallMs: number;
}

/** Runs `run` for each seed in [from, from + count) and summarises. */
export function runMany(from: number, count: number, run: (seed: number) => RunResult): ManySummary {
  const started = Date.now();
  const byGuarantee: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  const failing: { seed: number; replay: string; violations: readonly string[] }[] = [];
  let clean = 0;
  let strategy = "";
  let ingressTxns = 0;
  let mixedIngress = 0;
  let mixedBypass = 0;
  let restarts = 0;
  let worst: number | null = null;
  const measured: number[] = [];
  for (let seed = from; seed < from + count; seed++) {
    const r = run(seed);
    strategy = r.strategy;
    outcomes[r.finalPhase] = (outcomes[r.finalPhase] ?? 0) + 1;
    ingressTxns += r.counts.ingressTxns;
    mixedIngress += r.counts.mixedIngress;
    mixedBypass += r.counts.mixedBypass;
    restarts += r.journal.restarts;
    if (r.g3 !== null) {
      worst = Math.max(worst ?? 0, r.g3.measuredMs / r.g3.bound.totalMs);
      measured.push(r.g3.measuredMs);
    }
    if (r.violations.length === 0) {
      clean += 1;
      continue;
    }
    const kinds = new Set(r.violations.map((v) => v.split(":")[0] ?? v));
    for (const k of kinds) byGuarantee[k] = (byGuarantee[k] ?? 0) + 1;
    failing.push({ seed, replay: replayCommand(seed, r.strategy), violations: r.violations });
  }
  return {
    strategy,
    runs: count,
    clean,
    byGuarantee,
    failing,
    outcomes,
    totals: { ingressTxns, mixedIngress, mixedBypass, restarts },
    worstG3Ratio: worst,
    g3MeasuredMs:
      measured.length === 0
        ? null
        : (() => {
            const sorted = [...measured].sort((a, b) => a - b);
            return { p50: sorted[Math.floor(sorted.length / 2)] ?? 0, max: sorted[sorted.length - 1] ?? 0 };
          })(),
    wallMs: Date.now() - started,
  };
}
