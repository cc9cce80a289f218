/**
 * decide(): the upgrade lifecycle of DESIGN §4 as a pure function. Given the spec, the last
 * status, this tick's observations and the time, it returns the next status and the actions
 * issued on this tick. The reconciler persists the status first, then executes the actions,
 * and reports each result back by key in the next observations (G5).
 */
import { logWait } from "./wait-log.js";
import type { UpgradeSpec } from "../upgrade-spec/schema.js";
import { oldActivity } from "./activity.js";
import { handleCommands } from "./commands.js";
import { effectiveSettings } from "./effective.js";
import { foldWebhookResult, rollbackRequested, tellPostRollout } from "./gates.js";
import { draining } from "./phase-draining.js";
import { finalizing } from "./phase-finalizing.js";
import { preparing } from "./phase-preparing.js";
import { rollingBack, startRollback } from "./phase-rolling-back.js";
import { shifting } from "./phase-shifting.js";
import { validating } from "./phase-validating.js";
import { Phase, RouteMode, TERMINAL_PHASES } from "./phases.js";
import { dirtyOrStale, isStale, listNames } from "./proxies.js";
import { routesKey, weightConfirmed } from "./routing.js";
import { DEFAULT_SETTINGS, type Settings } from "./settings.js";
import { Tick } from "./tick.js";
import {
  ActionKind,
  ConditionType,
  type Action,
  type Decision,
  type Observations,
  type RouteOriginal,
  type UpgradeStatus,
  type VersionActivity,
} from "./types.js";

const DIRTY_PODS_SHOWN = 20;

/** Action kinds whose acknowledgement `Tick.ensure` looks up later. */
const REMEMBERED: readonly Action["kind"][] = [
  ActionKind.EnsureSubset,
  ActionKind.RemoveSubset,
  ActionKind.EnsureVersion,
  ActionKind.ScaleVersion,
  ActionKind.DeleteVersion,
];

/** Action kinds whose permanent failure fails the upgrade (routing and workloads). */
const ESSENTIAL: readonly Action["kind"][] = [...REMEMBERED, ActionKind.WriteRoutes, ActionKind.SetWeight];

/** Fold this tick's acknowledgements into the status. */
function processResults(t: Tick): void {
  const e = t.s.engine;
  const pending = e.pending;
  e.pending = [];
  let failure: string | null = null;
  for (const action of pending) {
    const result = t.obs.actionResults[action.key];
    if (result === undefined) {
      e.pending.push(action);
    } else if (action.kind === ActionKind.CallWebhook) {
      // A gate's answer, yes or no, is kept for the phase that asked; the call is not retried.
      foldWebhookResult(t, action, result);
    } else if (result.ok) {
      if (REMEMBERED.includes(action.kind)) e.acked.push(action.key);
      // A write re-executed after a crash reports what it recorded before, too: keep one of each.
      for (const r of result.recorded ?? []) {
        const same = (o: RouteOriginal): boolean =>
          o.namespace === r.namespace &&
          o.virtualService === r.virtualService &&
          o.route === r.route &&
          o.destinationIndex === r.destinationIndex;
        if (!e.originals.some(same)) e.originals.push({ ...r });
      }
    } else if (!result.permanent) {
      e.pending.push(action);
      t.wait("Retrying", `${action.kind} ${action.key} failed and is being retried: ${result.message}`);
    } else if (ESSENTIAL.includes(action.kind)) {
      failure ??= `${action.kind} ${action.key} was refused permanently: ${result.message}`;
    } else {
      t.event("Warning", "ActionFailed", `${action.kind} ${action.key} failed: ${result.message}`);
    }
  }
  if (failure !== null && !TERMINAL_PHASES.includes(t.s.phase)) t.fail("ActionRefused", failure);
}

/** GitOps revert (§4.6): a proxy reports a lower epoch, or Tranquil's routes vanished. */
function detectRevert(t: Tick): void {
  const e = t.s.engine;
  const forward =
    t.s.phase === Phase.Preparing || t.s.phase === Phase.Shifting || t.s.phase === Phase.Draining;
  if (!forward || e.routes.mode === RouteMode.None) return;
  const lower = t.obs.pods
    .filter(
      (p) =>
        !p.terminating && !isStale(p, t.cfg) && p.configEpoch !== null && p.configEpoch < e.confirmedEpoch,
    )
    .map((p) => p.name);
  const table = t.obs.routes.epochInTable;
  const written = !t.isPending(routesKey(t, t.s.configEpoch));
  const vanished = written && e.routes.sentinel && (table === null || table < t.s.configEpoch);
  if (lower.length === 0 && !vanished) return;
  const message = vanished
    ? `Tranquil's routes at epoch ${t.s.configEpoch} are gone from the route table (found ${table ?? "none"}); a GitOps tool may have reverted them. Enrolment is stopped; stop the tool's self-heal, then abort or re-apply`
    : `proxies report an epoch below ${e.confirmedEpoch}: ${listNames(lower)}; a GitOps tool may have reverted the routes. Enrolment is stopped; abort to roll back`;
  if (e.revertDetectedAt === null) {
    e.revertDetectedAt = t.now;
    t.event("Warning", "GitOpsRevert", message);
  }
  t.setCondition(ConditionType.GitOpsRevert, "True", vanished ? "RoutesVanished" : "LowerEpoch", message);
}

/** Phases in which a rollback gate is polled: the upgrade has begun and can still roll back. */
const ROLLBACK_GATE_PHASES: readonly Phase[] = [Phase.Preparing, Phase.Shifting, Phase.Draining];

/** A rollback gate that says yes rolls back (ADR 0098). */
function pollRollbackGates(t: Tick): void {
  if (!ROLLBACK_GATE_PHASES.includes(t.s.phase)) return;
  const why = rollbackRequested(t);
  if (why !== null) startRollback(t, why);
}

function dispatch(t: Tick): void {
  switch (t.s.phase) {
    case Phase.Validating:
      validating(t);
      return;
    case Phase.Preparing:
      preparing(t);
      return;
    case Phase.Shifting:
      shifting(t);
      return;
    case Phase.Draining:
      draining(t);
      return;
    case Phase.Finalizing:
      finalizing(t);
      return;
    case Phase.RollingBack:
      rollingBack(t);
      return;
    default:
      return;
  }
}

/** Each member's old and new version as observed this tick; the last known when a tick saw none. */
function versionActivity(t: Tick): VersionActivity[] {
  const out: VersionActivity[] = [];
  for (const svc of t.spec.services) {
    for (const [role, version] of [
      ["old", svc.from],
      ["new", svc.to],
    ] as const) {
      const v = t.obs.services[svc.name]?.versions[version];
      if (v === undefined) continue;
      const a = v.analysis;
      const window =
        a === null
          ? {}
          : {
              windowRequests: a.requests,
              ...(a.successRate === null
                ? {}
                : { windowFailed: Math.round((a.requests * (100 - a.successRate)) / 100) }),
            };
      out.push({
        service: svc.name,
        version,
        role,
        activeCalls: v.activeCalls,
        activeTransactions: v.activeTransactions,
        oldestActiveAgeSeconds: v.oldestActiveAgeSeconds,
        ...window,
      });
    }
  }
  return out.length > 0 ? out : [...(t.s.versions ?? [])];
}

function summarise(t: Tick): void {
  const s = t.s;
  const activity = oldActivity(t.spec, t.obs);
  s.activeOld = activity.calls;
  s.oldestActiveAgeSeconds = activity.oldestAgeSeconds;
  s.versions = versionActivity(t);
  s.pinned = s.engine.pins.length;
  s.dirtyPods = dirtyOrStale(t.obs.pods, t.cfg).slice(0, DIRTY_PODS_SHOWN);
  s.violations = Math.max(s.violations, t.obs.violations);
  if (t.waiting !== null) {
    t.setCondition(ConditionType.Waiting, "True", t.waiting.reason, t.waiting.message);
  } else if (TERMINAL_PHASES.includes(s.phase)) {
    t.setCondition(ConditionType.Waiting, "False", "Done", `the upgrade is ${s.phase}`);
  } else {
    t.setCondition(
      ConditionType.Waiting,
      "False",
      "Progressing",
      `${s.phase}/${s.engine.stage} is progressing`,
    );
  }
}

/**
 * The next status and the actions to execute. Pure: same inputs, same outputs. `settings`
 * defaults to DESIGN §4.9; the spec's strategy and drain fields override it.
 */
export function decide(
  spec: UpgradeSpec,
  status: UpgradeStatus,
  observations: Observations,
  now: number,
  settings: Settings = DEFAULT_SETTINGS,
): Decision {
  const t = new Tick(spec, status, observations, now, effectiveSettings(spec, settings));
  processResults(t);
  if (!TERMINAL_PHASES.includes(t.s.phase)) {
    handleCommands(t, observations.commands);
    detectRevert(t);
    if (spec.paused === true) {
      t.setCondition(
        ConditionType.Paused,
        "True",
        "Paused",
        `paused in ${t.s.phase}; set paused: false to resume`,
      );
      t.wait("Paused", `paused in ${t.s.phase}/${t.s.engine.stage}`);
    } else {
      t.clearCondition(ConditionType.Paused, "Resumed", "resumed");
      if (t.s.engine.revertDetectedAt !== null && t.s.phase !== Phase.RollingBack) {
        // Stop enrolment and wait for the user (abort, or fix the routes).
        weightConfirmed(t, 0);
        t.wait("GitOpsRevert", "a GitOps revert was detected; enrolment is stopped until the user aborts");
      } else {
        pollRollbackGates(t);
        dispatch(t);
      }
    }
  }
  tellPostRollout(t, status.phase);
  summarise(t);
  logWait(t);
  return { status: t.s, actions: t.actions };
}

/** Actions issued but not yet acknowledged: what a restarted reconciler must (re-)execute. */
export function pendingActions(status: UpgradeStatus): readonly Action[] {
  return status.engine.pending;
}
