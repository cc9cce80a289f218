/**
 * Shifting (§4.3): publish each step's weight, versioned, and wait until every gateway applies
 * it; between steps, analyse the step window; too many failures roll back. Before weight 100
 * the gateway stamps are confirmed; weight 100 confirmed (plus grace) is the cutover that
 * starts Draining.
 */
import { analyse, type AnalysisVerdict } from "./analysis.js";
import { Phase, RouteMode, Stage } from "./phases.js";
import { intent, routesConfirmed, weightConfirmed } from "./routing.js";
import type { Tick } from "./tick.js";
import { ANALYSES_KEPT, ConditionType } from "./types.js";
import { startRollback } from "./phase-rolling-back.js";
import { WebhookType } from "../upgrade-spec/schema.js";
import { askGates, gatesOpen, holdOnGates, type GateRound } from "./gates.js";

/**
 * The pre-rollout gates, asked before the first weight (ADR 0098). A no counts against
 * `failureLimit` (then rolls back); below it the gate is asked again after a step interval.
 */
function preRolloutPassed(t: Tick, weight: number): boolean {
  const round = askGates(t, WebhookType.PreRollout, "pre-rollout", true);
  if (round.open) {
    gatesOpen(t, WebhookType.PreRollout);
    return true;
  }
  const failures = t.s.engine.gates?.preRolloutFailures ?? 0;
  if (failures > t.cfg.failureLimit) {
    startRollback(t, `pre-rollout failed: ${round.refusals.join("; ")}`);
    return false;
  }
  const tally = failures > 0 ? ` (${failures}/${t.cfg.failureLimit + 1} failed)` : "";
  return holdOnGates(t, WebhookType.PreRollout, round, `before weight ${weight}%: pre-rollout${tally}`);
}

/** The gate type that confirms moving to `weight`: confirm-promotion for 100, else confirm-traffic-increase. */
function confirmType(weight: number): WebhookType {
  return weight >= 100 ? WebhookType.ConfirmPromotion : WebhookType.ConfirmTrafficIncrease;
}

/** Asks the gates that confirm moving to step `step` (weight `weight`). */
function confirmStep(t: Tick, step: number, weight: number): GateRound {
  const round = askGates(t, confirmType(weight), `step:${step}`, true);
  if (round.open) gatesOpen(t, confirmType(weight));
  return round;
}

/** What a hold before `weight` says. */
function holdingBefore(weight: number): string {
  return weight >= 100 ? "holding before weight 100% (the cutover)" : `holding before weight ${weight}%`;
}

/**
 * When the upgrade resumed: the Paused condition's transition to False, which decide() sets on
 * the first tick after `spec.paused` is cleared. Null when it was never paused.
 */
function resumedAt(t: Tick): number | null {
  const paused = t.s.conditions.find((c) => c.type === ConditionType.Paused);
  return paused !== undefined && paused.status === "False" ? paused.lastTransitionTime : null;
}

/**
 * A pause during the step window restarts the window when the upgrade resumes (ADR 0089): time
 * spent paused does not count, and the analysis figures (gathered from `stepStartedAt`) cover a
 * whole window of traffic seen after the resume.
 */
function restartWindowOnResume(t: Tick): void {
  const resumed = resumedAt(t);
  const started = t.s.engine.instants.stepStartedAt;
  if (resumed === null || started === null || resumed <= started) return;
  t.s.engine.instants.stepStartedAt = resumed;
  t.event(
    "Normal",
    "AnalysisWindowRestarted",
    `resumed during the step window at weight ${t.s.weight}%; the ${t.cfg.analysisIntervalMs / 1000}s window starts again`,
  );
}

/** True when the current window is one that a resume restarted. */
function resumedDuringWindow(t: Tick): boolean {
  const resumed = resumedAt(t);
  return resumed !== null && resumed === t.s.engine.instants.stepStartedAt;
}

/** Inconclusive windows in a row tolerated when the spec does not say (`analysis.missingDataLimit`). */
export const DEFAULT_MISSING_DATA_LIMIT = 3;

/**
 * An inconclusive window (`onMissingData: wait`): below the limit, says why and analyses
 * another window (true); at the limit, returns false and the window counts as failed.
 */
function waitOnMissingData(t: Tick, weight: number, details: readonly string[]): boolean {
  const e = t.s.engine;
  const limit = t.spec.strategy?.analysis?.missingDataLimit ?? DEFAULT_MISSING_DATA_LIMIT;
  e.analysisInconclusive = (e.analysisInconclusive ?? 0) + 1;
  if (e.analysisInconclusive >= limit) return false;
  const message = `step ${weight}% inconclusive (${e.analysisInconclusive}/${limit}): ${details.join("; ")}`;
  t.setCondition(ConditionType.Analysis, "Unknown", "Inconclusive", message);
  t.event("Warning", "AnalysisInconclusive", message);
  e.instants.stepStartedAt = t.now;
  t.wait("Analysing", `weight ${weight}%: analysis inconclusive, trying another window`);
  return true;
}

/** The failure lines of a window that ended the inconclusive run. */
function missingDataLimitReached(t: Tick, details: readonly string[]): string[] {
  const limit = t.spec.strategy?.analysis?.missingDataLimit ?? DEFAULT_MISSING_DATA_LIMIT;
  return [`no data after ${limit} inconclusive window(s)`, ...details];
}

/** The verdict with the rollout gates' refusals as failed checks. */
function withRefusals(verdict: AnalysisVerdict, refusals: readonly string[]): AnalysisVerdict {
  if (refusals.length === 0) return verdict;
  return { passed: false, details: [...(verdict.passed ? [] : verdict.details), ...refusals] };
}

/** Keeps the verdict in `status.analyses` (the last ANALYSES_KEPT), for dashboards and `tranquil status`. */
function recordAnalysis(t: Tick, weight: number, passed: boolean, message: string): void {
  t.s.analyses = [...(t.s.analyses ?? []), { weight, passed, message, at: t.now }].slice(-ANALYSES_KEPT);
}

/** One Shifting tick. */
export function shifting(t: Tick): void {
  const s = t.s;
  const e = s.engine;
  const steps = t.cfg.steps;
  const step = Math.min(Math.max(s.step, 0), steps.length - 1);
  s.step = step;
  const weight = steps[step] ?? 100;
  switch (e.stage) {
    case Stage.SetWeight: {
      if (!preRolloutPassed(t, weight)) return;
      const confirm = confirmStep(t, step, weight);
      if (!confirm.open) {
        holdOnGates(t, confirmType(weight), confirm, holdingBefore(weight));
        return;
      }
      // Before weight 100, the gateway stamps (ADR 0090), so that from the cutover no ingress
      // transaction is non-enrolled even when a gateway's Check fails open; confirmed before
      // the cutover, they add nothing to old's removal time.
      if (weight >= 100 && !routesConfirmed(t, intent(RouteMode.DoorOpen, [], true, true))) return;
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
      e.analysisInconclusive = 0;
      t.go(Stage.Analyse);
      return;
    }
    case Stage.Analyse: {
      restartWindowOnResume(t);
      const since = e.instants.stepStartedAt ?? e.stageSince;
      if (t.now - since < t.cfg.analysisIntervalMs) {
        t.wait(
          "Analysing",
          resumedDuringWindow(t)
            ? `weight ${weight}%: analysing the step window (${t.cfg.analysisIntervalMs / 1000}s), restarted when the upgrade was resumed`
            : `weight ${weight}%: analysing the step window`,
        );
        return;
      }
      // The rollout gates are checks of this window: asked once, at its end.
      const hooks = askGates(t, WebhookType.Rollout, `rollout:${step}:${since}`, false);
      if (hooks.asking.length > 0) {
        t.wait("Analysing", `weight ${weight}%: asking the rollout webhooks`);
        return;
      }
      const verdict = withRefusals(analyse(t.spec, t.obs), hooks.refusals);
      if (verdict.inconclusive === true && waitOnMissingData(t, weight, verdict.details)) return;
      e.analysisInconclusive = 0;
      if (verdict.passed) {
        const nextWeight = steps[step + 1] ?? 100;
        const confirm = confirmStep(t, step + 1, nextWeight);
        if (confirm.asking.length > 0) {
          holdOnGates(
            t,
            confirmType(nextWeight),
            confirm,
            `step ${weight}% passed; ${holdingBefore(nextWeight)}`,
          );
          return;
        }
        const passed = `step ${weight}% passed${verdict.details.length > 0 ? `: ${verdict.details.join("; ")}` : ""}`;
        t.setCondition(ConditionType.Analysis, "True", "Passed", passed);
        recordAnalysis(t, weight, true, passed);
        if (!confirm.open) {
          // As in Flagger, the analysis goes on while a confirm gate holds: another window.
          e.instants.stepStartedAt = t.now;
          holdOnGates(
            t,
            confirmType(nextWeight),
            confirm,
            `step ${weight}% passed; ${holdingBefore(nextWeight)}`,
          );
          return;
        }
        s.step = step + 1;
        t.go(Stage.SetWeight);
        shifting(t);
        return;
      }
      e.analysisFailures += 1;
      const why =
        verdict.inconclusive === true ? missingDataLimitReached(t, verdict.details) : verdict.details;
      const message = `step ${weight}% failed (${e.analysisFailures}/${t.cfg.failureLimit + 1}): ${why.join("; ")}`;
      t.setCondition(ConditionType.Analysis, "False", "Failed", message);
      recordAnalysis(t, weight, false, message);
      t.event("Warning", "AnalysisFailed", message);
      if (e.analysisFailures > t.cfg.failureLimit) {
        startRollback(t, `analysis failed: ${why.join("; ")}`);
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
