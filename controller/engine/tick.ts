/**
 * One decide() tick: a private, mutable copy of the status plus the actions issued so far.
 * Phase handlers call its small verbs (issue, wait, go, enter); decide() hands back a frozen
 * result. Nothing here does I/O.
 */
import type { UpgradeSpec } from "../upgrade-spec/schema.js";
import type { Effective } from "./effective.js";
import { Phase, Stage } from "./phases.js";
import {
  ActionKind,
  ConditionType,
  type Action,
  type Condition,
  type Observations,
  type UpgradeStatus,
} from "./types.js";

/** A deep, writable copy of a readonly type. */
export type Draft<T> = T extends readonly (infer U)[]
  ? Draft<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Draft<T[K]> }
    : T;

/** The status as phase handlers edit it during a tick. */
export type DraftStatus = Draft<UpgradeStatus>;

/** Why the engine waits: becomes the `Waiting` condition. */
export interface WaitReason {
  readonly reason: string;
  readonly message: string;
}

/** The state of one tick. */
export class Tick {
  /** The status being built. */
  readonly s: DraftStatus;
  /** Actions issued on this tick. */
  readonly actions: Action[] = [];
  /** The wait reason set by the stage that blocked, if any. */
  waiting: WaitReason | null = null;

  constructor(
    readonly spec: UpgradeSpec,
    status: UpgradeStatus,
    readonly obs: Observations,
    readonly now: number,
    readonly cfg: Effective,
  ) {
    this.s = structuredClone(status) as DraftStatus;
  }

  /** The upgrade's id (its enrolment id). */
  get id(): string {
    return this.obs.upgradeId;
  }

  /** A key unique within this upgrade, stable across restarts. */
  key(...parts: (string | number)[]): string {
    return [this.id, ...parts].join(":");
  }

  /** True when an action with this key is issued and not yet acknowledged. */
  isPending(key: string): boolean {
    return this.s.engine.pending.some((a) => a.key === key);
  }

  /**
   * Issue an action once. Returns true once it has been acknowledged; until then it is
   * pending (and re-executed by a restarted reconciler).
   */
  ensure(action: Action): boolean {
    if (this.s.engine.acked.includes(action.key)) return true;
    if (!this.isPending(action.key)) this.push(action);
    return false;
  }

  /** Issue an action whose acknowledgement is tracked by the caller (routes, weights, events). */
  push(action: Action): void {
    this.s.engine.pending.push(structuredClone(action) as Draft<Action>);
    this.actions.push(action);
  }

  /** Record a Kubernetes Event. */
  event(type: "Normal" | "Warning", reason: string, message: string): void {
    this.s.engine.eventSeq += 1;
    this.push({
      kind: ActionKind.RecordEvent,
      key: this.key("event", this.s.engine.eventSeq),
      type,
      reason,
      message,
    });
  }

  /** Block on something; the reason and message become the `Waiting` condition. Returns false. */
  wait(reason: string, message: string): false {
    this.waiting ??= { reason, message };
    return false;
  }

  /** Move to another stage of the current phase; per-stage timers reset. */
  go(stage: Stage): void {
    if (stage === this.s.engine.stage) return;
    this.s.engine.stage = stage;
    this.s.engine.stageSince = this.now;
    this.s.engine.waitingSince = null;
    this.s.engine.confirmedAt = null;
  }

  /** Enter a phase at a stage, with a history line and an event. */
  enter(phase: Phase, stage: Stage, message: string): void {
    const warning = phase === Phase.RollingBack || phase === Phase.Failed;
    this.s.phase = phase;
    this.go(stage);
    this.s.engine.waitingSince = null;
    this.s.engine.confirmedAt = null;
    this.s.history.push({ at: this.now, phase, stage, message });
    while (this.s.history.length > this.cfg.historyLimit) this.s.history.shift();
    this.event(warning ? "Warning" : "Normal", phase, message);
  }

  /** Fail: routing stays in its last consistent state, no version is removed (§4.6). */
  fail(reason: string, message: string): void {
    this.s.engine.reason = message;
    this.setCondition(ConditionType.Failed, "True", reason, message);
    this.enter(Phase.Failed, Stage.Done, message);
  }

  /**
   * Hold while `holds` stays true continuously for `windowMs` (settle windows). Returns true
   * once it has; resets the window whenever `holds` is false.
   */
  heldFor(holds: boolean, windowMs: number): boolean {
    if (!holds) {
      this.s.engine.waitingSince = null;
      return false;
    }
    this.s.engine.waitingSince ??= this.now;
    return this.now - this.s.engine.waitingSince >= windowMs;
  }

  /** Set or update a condition, keeping its transition time when nothing changed. */
  setCondition(type: ConditionType, status: Condition["status"], reason: string, message: string): void {
    const conditions = this.s.conditions;
    const i = conditions.findIndex((c) => c.type === type);
    const old = conditions[i];
    const lastTransitionTime =
      old !== undefined && old.status === status && old.reason === reason ? old.lastTransitionTime : this.now;
    const next = { type, status, reason, message, lastTransitionTime };
    if (i === -1) conditions.push(next);
    else conditions[i] = next;
  }

  /** Clear a condition (set it False) if it is present and True. */
  clearCondition(type: ConditionType, reason: string, message: string): void {
    const c = this.s.conditions.find((x) => x.type === type);
    if (c !== undefined && c.status !== "False") this.setCondition(type, "False", reason, message);
  }
}
