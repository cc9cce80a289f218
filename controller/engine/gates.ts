/**
 * The webhook gates (ADR 0098), as pure decisions: which gate to ask this tick, what its answer
 * means, and what the status and events say about it. The calls themselves are actions
 * (`callWebhook`) the reconciler executes; their answers come back as action results and are
 * kept in `status.engine.gates`. Flagger's meanings: a confirm-* gate holds until it says yes
 * and is asked again once per step interval; a pre-rollout no counts against failureLimit; a
 * rollout no fails the step window; a rollback yes rolls back; post-rollout is only told.
 */
import { WebhookType, type WebhookSpec } from "../upgrade-spec/schema.js";
import { TERMINAL_PHASES, type Phase } from "./phases.js";
import type { Draft, Tick } from "./tick.js";
import {
  ActionKind,
  ConditionType,
  type ActionResult,
  type CallWebhookAction,
  type GateAnswer,
  type GateState,
} from "./types.js";

/** The gates of one type, in spec order. */
export function webhooksOf(t: Tick, type: WebhookType): readonly WebhookSpec[] {
  return (t.spec.strategy?.webhooks ?? []).filter((h) => h.type === type);
}

/** A gate and its answer as the status and events word it: `confirm-promotion "qa" said no: HTTP 403`. */
export function describeAnswer(type: WebhookType, name: string, message: string): string {
  return `${type} "${name}" ${message}`;
}

function gates(t: Tick): Draft<GateState> {
  t.s.engine.gates ??= { answers: {}, asking: {}, seq: 0, preRolloutFailures: 0 };
  return t.s.engine.gates;
}

/** How long a gate that said no waits before it is asked again: one step interval, as Flagger's. */
function pollMs(t: Tick): number {
  return t.cfg.analysisIntervalMs;
}

/** Issues a call of `hook` about `context`. */
function ask(t: Tick, hook: WebhookSpec, context: string): void {
  const g = gates(t);
  g.seq += 1;
  const action: CallWebhookAction = {
    kind: ActionKind.CallWebhook,
    key: t.key("webhook", hook.name, g.seq),
    webhook: hook.name,
    hookType: hook.type,
    context,
    phase: t.s.phase,
  };
  g.asking[hook.name] = action.key;
  t.push(action);
}

/** True while a call of this gate is in flight. */
function asking(t: Tick, name: string): boolean {
  const key = t.s.engine.gates?.asking[name];
  return key !== undefined && t.isPending(key);
}

/** Where one round of asking the gates of a type stands. */
export interface GateRound {
  /** Every gate of the type said yes about the context (true when there is none). */
  readonly open: boolean;
  /** Gates whose call is in flight. */
  readonly asking: readonly string[];
  /** The gates that did not say yes, worded for the status. */
  readonly refusals: readonly string[];
}

/**
 * Asks every gate of `type` about `context`, once each; a gate that said no is asked again
 * after a step interval when `again` (confirm-*, pre-rollout), never when not (rollout: the
 * window's answer stands). A yes about the context stands.
 */
export function askGates(t: Tick, type: WebhookType, context: string, again: boolean): GateRound {
  const inFlight: string[] = [];
  const refusals: string[] = [];
  for (const hook of webhooksOf(t, type)) {
    const answer = t.s.engine.gates?.answers[hook.name];
    const about = answer !== undefined && answer.context === context ? answer : undefined;
    if (about?.passed === true) continue;
    if (about !== undefined) refusals.push(describeAnswer(type, hook.name, about.message));
    if (asking(t, hook.name)) {
      inFlight.push(hook.name);
      continue;
    }
    if (about !== undefined && (!again || t.now - about.at < pollMs(t))) continue;
    ask(t, hook, context);
    inFlight.push(hook.name);
  }
  return { open: inFlight.length === 0 && refusals.length === 0, asking: inFlight, refusals };
}

/** The Gate condition's reason for a gate type: `ConfirmPromotion`, `PreRollout`, … */
function gateReason(type: WebhookType): string {
  return type
    .split("-")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");
}

/**
 * Holds the upgrade on a round that is not open: the Gate condition names the gates that
 * said no (or that are being asked), and the Waiting condition says the upgrade waits on them.
 * Returns false.
 */
export function holdOnGates(t: Tick, type: WebhookType, round: GateRound, what: string): false {
  if (round.refusals.length > 0) {
    const message = `${what}: ${round.refusals.join("; ")}`;
    t.setCondition(ConditionType.Gate, "True", gateReason(type), message);
    return t.wait("Gate", message);
  }
  return t.wait("Gate", `${what}: asking ${round.asking.map((n) => `${type} "${n}"`).join(", ")}`);
}

/** Marks the gates of a type as open: the Gate condition, when it held, turns False. */
export function gatesOpen(t: Tick, type: WebhookType): void {
  if (webhooksOf(t, type).length === 0) return;
  t.clearCondition(ConditionType.Gate, "Open", `every ${type} gate said yes`);
}

/**
 * Folds a call's result into `engine.gates`, with an event when the gate's answer changed
 * (not on every poll). A yes is a 2xx answer; anything else, with why, is a no.
 */
export function foldWebhookResult(t: Tick, action: CallWebhookAction, result: ActionResult): void {
  const g = gates(t);
  if (g.asking[action.webhook] === action.key)
    g.asking = Object.fromEntries(Object.entries(g.asking).filter(([name]) => name !== action.webhook));
  const passed = result.ok;
  const message = result.ok ? "said yes" : result.message;
  const before: GateAnswer | undefined = g.answers[action.webhook];
  g.answers[action.webhook] = { context: action.context, passed, message, at: t.now };
  if (action.hookType === WebhookType.PreRollout && !passed) g.preRolloutFailures += 1;
  if (before?.passed === passed && before.message === message) return;
  // A rollback gate that says no is the normal case; its yes is the warning.
  const harmful = action.hookType === WebhookType.Rollback ? passed : !passed;
  t.event(
    harmful ? "Warning" : "Normal",
    passed ? "WebhookYes" : "WebhookNo",
    describeAnswer(action.hookType, action.webhook, message),
  );
}

/**
 * Polls the rollback gates (while the upgrade can still roll back): returns why to roll back
 * when one said yes, else null. Each is asked once per step interval.
 */
export function rollbackRequested(t: Tick): string | null {
  for (const hook of webhooksOf(t, WebhookType.Rollback)) {
    const answer = t.s.engine.gates?.answers[hook.name];
    if (answer?.passed === true) return describeAnswer(hook.type, hook.name, "said yes");
    if (asking(t, hook.name)) continue;
    if (answer === undefined || t.now - answer.at >= pollMs(t)) ask(t, hook, "rollback");
  }
  return null;
}

/** Tells the post-rollout gates once the upgrade has ended (succeeded, rolled back or failed). */
export function tellPostRollout(t: Tick, before: Phase): void {
  if (TERMINAL_PHASES.includes(before) || !TERMINAL_PHASES.includes(t.s.phase)) return;
  for (const hook of webhooksOf(t, WebhookType.PostRollout)) ask(t, hook, "post-rollout");
}
