/**
 * Shifting (§4.3): publish each step's weight, versioned, and wait until every gateway applies
 * it; between steps, analyse the step window; too many failures roll back. Weight 100
 * confirmed (plus grace) is the cutover that starts Draining.
 */
import { analyse } from "./analysis.js";
import { Phase, Stage } from "./phases.js";
import { weightConfirmed } from "./routing.js";
import type { Tick } from "./tick.js";
import { ConditionType } from "./types.js";
import { startRollback } from "./phase-rolling-back.js";

/** One Shifting tick. */
export function shifting(t: Tick): void {
  const s = t.s;
  const e = s.engine;
  const steps = t.cfg.steps;
  const step = Math.min(Math.max(s.step, 0), steps.length - 1);
  s.step = step;
  const weight = steps[step] ?? 100;
  switch (e.stage) {
    case Stage.SetWeight:
      if (!weightConfirmed(t, weight)) return;
      if (weight >= 100) {
        e.instants.cutoverAt = t.now;
        e.instants.drainStartedAt = t.now;
        t.enter(
          Phase.Draining,
          Stage.IngressDrain,
          "cutover: weight 100 confirmed at every gateway; draining old",
        );
        return;
      }
      e.instants.stepStartedAt = t.now;
      e.analysisFailures = 0;
      t.go(Stage.Analyse);
      return;
    case Stage.Analyse: {
      const since = e.instants.stepStartedAt ?? e.stageSince;
      if (t.now - since < t.cfg.analysisIntervalMs) {
        t.wait("Analysing", `weight ${weight}%: analysing the step window`);
        return;
      }
      const verdict = analyse(t.spec, t.obs);
      if (verdict.passed) {
        t.setCondition(
          ConditionType.Analysis,
          "True",
          "Passed",
          `step ${weight}% passed${verdict.details.length > 0 ? `: ${verdict.details.join("; ")}` : ""}`,
        );
        s.step = step + 1;
        t.go(Stage.SetWeight);
        shifting(t);
        return;
      }
      e.analysisFailures += 1;
      const message = `step ${weight}% failed (${e.analysisFailures}/${t.cfg.failureLimit + 1}): ${verdict.details.join("; ")}`;
      t.setCondition(ConditionType.Analysis, "False", "Failed", message);
      t.event("Warning", "AnalysisFailed", message);
      if (e.analysisFailures > t.cfg.failureLimit) {
        startRollback(t, `analysis failed: ${verdict.details.join("; ")}`);
        return;
      }
      e.instants.stepStartedAt = t.now;
      t.wait("Analysing", `weight ${weight}%: analysis failed, trying another window`);
      return;
    }
    default:
      t.wait("UnknownStage", `stage ${e.stage} does not belong to Shifting`);
  }
}
