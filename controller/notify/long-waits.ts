/**
 * Long waits: an Upgrade whose Waiting condition has held one reason for at least the
 * threshold (`--notify-wait-after`, default 10 min) makes one `wait` notification. The
 * reconciler records a `Waiting` Event when a wait starts or changes reason; from it a timer
 * is set to the threshold, and when it fires the Upgrade is read back: only if it still waits
 * on that reason since then is it notified, once per wait. Two waits are never notified:
 * `Paused`, the user's own, and `Analysing`, a step's planned window (its retries are bounded
 * by the failure and missing-data limits, and end in a rollback, which is notified). Timers
 * do not keep the process alive and are cleared on `stop`.
 */
import type { Logger } from "pino";
import { TERMINAL_PHASES } from "../engine/phases.js";
import { ConditionType, type UpgradeStatus } from "../engine/types.js";
import type { UpgradeEventNote } from "../ports/events.js";
import { keyString, type UpgradeKey } from "../ports/upgrade-store.js";
import { NotificationKind, type Notification } from "./notification.js";

/** The reason of the reconciler's Event when a wait starts or changes reason. */
export const WAITING = "Waiting";

/** Waiting reasons never notified as long waits. */
export const NOT_NOTIFIED_WAITS: ReadonlySet<string> = new Set(["Paused", "Analysing"]);

/** The default long-wait threshold (10 minutes). */
export const DEFAULT_WAIT_AFTER_MS = 600_000;

/** What {@link LongWaits} needs. */
export interface LongWaitsOptions {
  readonly thresholdMs: number;
  /** The Upgrade's current status, read when a timer fires. */
  readonly lookup: (key: UpgradeKey) => Promise<Pick<UpgradeStatus, "phase" | "conditions">>;
  readonly publish: (n: Notification) => void;
  readonly logger: Logger;
  readonly clock?: () => number;
}

/** Watches waits and notifies the long ones. */
export class LongWaits {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** `<upgrade>|<reason>|<since>` of the waits notified already. */
  private readonly notified = new Map<string, string>();
  private readonly clock: () => number;
  private stopped = false;

  constructor(private readonly options: LongWaitsOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** Follows one recorded Event: a wait (re)starts the Upgrade's timer, an ending phase clears it. */
  observe(key: UpgradeKey, note: UpgradeEventNote): void {
    if (this.stopped) return;
    if (note.reason === WAITING) this.schedule(key, note.at + this.options.thresholdMs);
    // The engine names its Event for the phase it enters (PhaseChanged says it too).
    else if ((TERMINAL_PHASES as readonly string[]).includes(note.reason)) this.forget(key);
  }

  /** Clears every timer; nothing more is notified. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private forget(key: UpgradeKey): void {
    const k = keyString(key);
    clearTimeout(this.timers.get(k));
    this.timers.delete(k);
    this.notified.delete(k);
  }

  private schedule(key: UpgradeKey, at: number): void {
    const k = keyString(key);
    clearTimeout(this.timers.get(k));
    const timer = setTimeout(
      () => {
        this.timers.delete(k);
        void this.check(key);
      },
      Math.max(0, at - this.clock()),
    );
    timer.unref();
    this.timers.set(k, timer);
  }

  private async check(key: UpgradeKey): Promise<void> {
    let status;
    try {
      status = await this.options.lookup(key);
    } catch (err) {
      this.options.logger.debug(
        { upgrade: keyString(key), err },
        "could not read the Upgrade to check its wait",
      );
      return;
    }
    if (this.stopped || TERMINAL_PHASES.includes(status.phase)) return;
    const waiting = status.conditions.find((c) => c.type === ConditionType.Waiting && c.status === "True");
    if (waiting === undefined || NOT_NOTIFIED_WAITS.has(waiting.reason)) return;
    const now = this.clock();
    const since = waiting.lastTransitionTime;
    if (now - since < this.options.thresholdMs) {
      // Another wait began since the Event that set the timer: time that one instead.
      this.schedule(key, since + this.options.thresholdMs);
      return;
    }
    const k = keyString(key);
    const id = `${waiting.reason}|${since}`;
    if (this.notified.get(k) === id) return;
    this.notified.set(k, id);
    this.options.publish({
      kind: NotificationKind.Wait,
      upgrade: key.name,
      namespace: key.namespace,
      phase: status.phase,
      severity: "Warning",
      reason: waiting.reason,
      message: waiting.message,
      at: now,
      waitedMs: now - since,
    });
  }
}
