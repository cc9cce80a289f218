/** Every scenario both backends run, in the order the test files run them. */
import { afterEach, describe, it } from "vitest";
import { abortBothMoments } from "./abort.js";
import { badSpecs } from "./bad-specs.js";
import { frozenTraceManager } from "./frozen-trace-manager.js";
import { gitOpsRevert } from "./gitops-revert.js";
import { releaseTrain } from "./release-train.js";
import { rollbackOnFailedAnalysis } from "./rollback.js";
import type { BootBackend, E2eBackend } from "./e2e-backend.js";
import type { Scenario } from "./scenario-kit.js";
import { singleUpgrade } from "./single-upgrade.js";

/** The shared scenarios: the same code drives the local mesh and the local cluster. */
export const SCENARIOS: readonly Scenario[] = [
  singleUpgrade,
  releaseTrain,
  badSpecs,
  rollbackOnFailedAnalysis,
  abortBothMoments,
  frozenTraceManager,
  gitOpsRevert,
];

/** Declares one test per shared scenario, each on a backend of its own booted by `boot`. */
export function describeSharedScenarios(where: string, boot: BootBackend, timeoutMs: number): void {
  describe(`the shared scenarios on ${where}`, { concurrent: false }, () => {
    let b: E2eBackend | undefined;
    afterEach(async () => {
      await b?.stop();
      b = undefined;
    });
    for (const scenario of SCENARIOS) {
      it(
        scenario.title,
        async () => {
          b = await boot(scenario.needs);
          await scenario.run(b);
        },
        timeoutMs,
      );
    }
  });
}
