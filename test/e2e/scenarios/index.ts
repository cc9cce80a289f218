/** Every scenario both backends run, in the order the test files run them. */
import { abortBothMoments } from "./abort.js";
import { badSpecs } from "./bad-specs.js";
import { frozenTraceManager } from "./frozen-trace-manager.js";
import { gitOpsRevert } from "./gitops-revert.js";
import { releaseTrain } from "./release-train.js";
import { rollbackOnFailedAnalysis } from "./rollback.js";
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
