/**
 * Runs one seed with the control strategy (per-request weights at every hop, `old` removed a
 * fixed delay after weight 100) through the same world and invariants as Tranquil.
 */
import { runSimulation, type RunResult } from "./run.js";
import type { ScenarioOverrides } from "./scenario.js";
import { controlStrategy, type ControlOptions } from "./strategies/control.js";
import { SIM_SETTINGS } from "./tranquil-run.js";

/** Runs `seed` with the control strategy; it is expected to end Succeeded (it never rolls back). */
export function runControl(seed: number, overrides?: ScenarioOverrides, options?: ControlOptions): RunResult {
  return runSimulation({
    seed,
    ...(overrides === undefined ? {} : { overrides }),
    strategy: () => controlStrategy(options),
    boundSettings: SIM_SETTINGS,
    expected: "Succeeded",
  });
}
