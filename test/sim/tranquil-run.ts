/**
 * Runs one seed with Tranquil's decide() driving the upgrade: the spec and engine settings
 * the simulator uses (DESIGN §4.9 defaults, with shorter analysis, settle and pin idle times
 * so a run stays cheap), drawn per seed where the spec allows a choice.
 */
import { makeSettings, type Settings, type UpgradeSpec } from "../../controller/engine/types.js";
import { createPrng } from "./prng.js";
import { runSimulation, type RunResult } from "./run.js";
import type { ScenarioOverrides, SimScenario } from "./scenario.js";
import { drawScenario } from "./scenario.js";
import type { RoutePlanner } from "./strategies/product-planner.js";
import { tranquilStrategy } from "./strategies/tranquil.js";

/** Engine settings for simulated runs. */
export const SIM_SETTINGS: Settings = makeSettings({
  settleMs: 1_000,
  pinIdleMs: 3_000,
  analysisIntervalMs: 4_000,
  pinWriteIntervalMs: 500,
});

/** The Upgrade spec of a scenario: its train, steps drawn from the seed, a success-rate analysis. */
export function simSpec(s: SimScenario): UpgradeSpec {
  const r = createPrng(s.seed ^ 0xa11);
  const steps = r.pick([[20, 50, 100], [25, 100], [100], [20, 40, 70, 100]]);
  return {
    services: s.services.map((name) => ({ name, from: s.oldVersion, to: s.newVersion })),
    // Windows long enough that every member of the train sees enrolled calls at the first step;
    // the failure limit absorbs windows that happened to see none (decide() fails those). At
    // weight 20 and 3 transactions/s a 4 s window sees none about 1 time in 11; a limit of 5
    // rolls back only after 6 such windows in a row, about once in 2 million runs.
    strategy: { steps, stepInterval: "4s", analysis: { successRate: { min: 90 } }, failureLimit: 5 },
    drain: { settle: "1s" },
  };
}

/** Runs `seed` with decide(); `planner` replaces the product's route planner (to test a broken one). */
export function runTranquil(seed: number, overrides?: ScenarioOverrides, planner?: RoutePlanner): RunResult {
  const scenario = drawScenario(seed, overrides);
  const spec = simSpec(scenario);
  // With a single step there is no analysis between steps, so a failing `new` is not caught.
  const analysed = (spec.strategy?.steps?.length ?? 0) > 1;
  return runSimulation({
    expected: scenario.newFails && analysed ? "RolledBack" : "Succeeded",
    seed,
    ...(overrides === undefined ? {} : { overrides }),
    strategy: () =>
      tranquilStrategy({ spec, settings: SIM_SETTINGS, ...(planner === undefined ? {} : { planner }) }),
    boundSettings: SIM_SETTINGS,
  });
}
