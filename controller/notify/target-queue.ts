/**
 * One notification target's bounded queue and its sender. `push` never waits: it appends, or,
 * when the queue is full, drops the oldest notification (counted). One notification is in
 * flight at a time, so a target receives them in order; each gets at most `maxAttempts`
 * attempts of at most `attemptTimeoutMs`, with a doubling backoff between them, and is then
 * counted failed: a target that is down is never retried forever, and never slows the upgrade.
 */
import { setTimeout as sleepFor } from "node:timers/promises";
import type { Logger } from "pino";
import type { PostJson } from "./http-post.js";
import type { Notification } from "./notification.js";
import { DeliveryOutcome, type NotifyMetrics } from "./notify-metrics.js";

/** How a target's notifications are queued and retried. */
export interface DeliveryPolicy {
  /** Notifications kept waiting at most; past it the oldest is dropped. */
  readonly queueCapacity: number;
  /** Attempts per notification, the first included. */
  readonly maxAttempts: number;
  /** How long one attempt may take. */
  readonly attemptTimeoutMs: number;
  /** The wait before the second attempt; it doubles before each next one. */
  readonly backoffMs: number;
}

/** The defaults of {@link DeliveryPolicy} (docs/notifications.md). */
export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = {
  queueCapacity: 100,
  maxAttempts: 3,
  attemptTimeoutMs: 5_000,
  backoffMs: 1_000,
};

/** A full queue logs its first drop, then every this many (all are counted). */
const DROP_LOG_EVERY = 100;

/** Waits `ms`, or until `signal` aborts (then it rejects). */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** What a {@link TargetQueue} needs. */
export interface TargetQueueOptions {
  /** The target's name in metrics and logs (its URL may be a secret). */
  readonly name: string;
  readonly url: string;
  /** The body posted for a notification. */
  readonly encode: (n: Notification) => unknown;
  readonly policy: DeliveryPolicy;
  readonly post: PostJson;
  readonly metrics: NotifyMetrics;
  readonly logger: Logger;
  readonly sleep?: Sleep;
}

/** A target's queue and sender. */
export class TargetQueue {
  private readonly waiting: Notification[] = [];
  private pumping: Promise<void> | undefined;
  private closed = false;
  /** Aborted when the shutdown deadline passes: the attempt in flight and any backoff end. */
  private readonly cut = new AbortController();
  private readonly sleep: Sleep;
  /** Notifications dropped from a full queue since it last had room. */
  private droppedInARow = 0;

  constructor(private readonly options: TargetQueueOptions) {
    this.sleep = options.sleep ?? ((ms, signal) => sleepFor(ms, undefined, { signal }));
    options.metrics.addTarget(options.name);
  }

  /** The target's name. */
  get name(): string {
    return this.options.name;
  }

  /** How many notifications wait (the one in flight excluded). */
  get depth(): number {
    return this.waiting.length;
  }

  /** Queues a notification and returns at once. */
  push(n: Notification): void {
    const { metrics, policy, name, logger } = this.options;
    if (this.closed) {
      metrics.count(name, DeliveryOutcome.Dropped);
      return;
    }
    this.waiting.push(n);
    if (this.waiting.length > policy.queueCapacity) {
      const dropped = this.waiting.shift();
      metrics.count(name, DeliveryOutcome.Dropped);
      this.droppedInARow += 1;
      // A burst at a target that is down would log a line per notification: log every 100th.
      if (this.droppedInARow % DROP_LOG_EVERY === 1)
        logger.warn(
          {
            target: name,
            upgrade: dropped?.upgrade,
            kind: dropped?.kind,
            capacity: policy.queueCapacity,
            droppedInARow: this.droppedInARow,
          },
          "notification queue full; dropped its oldest notification",
        );
    } else this.droppedInARow = 0;
    metrics.queued(name, this.waiting.length);
    this.pumping ??= this.pump().finally(() => {
      this.pumping = undefined;
    });
  }

  /**
   * Stops taking notifications and sends what is queued until `deadlineMs` has passed; then
   * the attempt in flight is cut and what is left is counted dropped.
   */
  async close(deadlineMs: number): Promise<void> {
    this.closed = true;
    const pumping = this.pumping;
    if (pumping !== undefined) {
      const deadline = new AbortController();
      const passed = sleepFor(deadlineMs, "deadline", { signal: deadline.signal }).catch(() => "drained");
      const first = await Promise.race([pumping.then(() => "drained"), passed]);
      deadline.abort();
      if (first === "deadline") {
        this.cut.abort();
        await pumping;
      }
    }
    const left = this.waiting.splice(0);
    if (left.length > 0) {
      this.options.metrics.count(this.options.name, DeliveryOutcome.Dropped, left.length);
      this.options.logger.warn(
        { target: this.options.name, dropped: left.length },
        "notifications not sent before the shutdown deadline; dropped",
      );
    }
    this.options.metrics.queued(this.options.name, 0);
  }

  private async pump(): Promise<void> {
    for (let n = this.waiting.shift(); n !== undefined; n = this.waiting.shift()) {
      this.options.metrics.queued(this.options.name, this.waiting.length);
      if (this.cut.signal.aborted) {
        this.waiting.unshift(n);
        return;
      }
      await this.deliver(n);
    }
  }

  private async deliver(n: Notification): Promise<void> {
    const { name, url, policy, post, metrics, logger } = this.options;
    const body = this.options.encode(n);
    let error = "";
    let attempts = 0;
    for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
      attempts = attempt;
      const signal = AbortSignal.any([AbortSignal.timeout(policy.attemptTimeoutMs), this.cut.signal]);
      const result = await post(url, body, signal);
      if (result.ok) {
        metrics.count(name, DeliveryOutcome.Sent);
        logger.debug({ target: name, upgrade: n.upgrade, kind: n.kind, attempts }, "notification sent");
        return;
      }
      error = result.error;
      if (this.cut.signal.aborted) break;
      if (!result.retryable || attempt === policy.maxAttempts) break;
      try {
        await this.sleep(policy.backoffMs * 2 ** (attempt - 1), this.cut.signal);
      } catch {
        break;
      }
    }
    const outcome = this.cut.signal.aborted ? DeliveryOutcome.Dropped : DeliveryOutcome.Failed;
    metrics.count(name, outcome);
    logger.warn(
      { target: name, upgrade: `${n.namespace}/${n.upgrade}`, kind: n.kind, attempts, error, outcome },
      outcome === DeliveryOutcome.Failed
        ? "notification target did not take the notification; giving up on it"
        : "notification cut off by the shutdown deadline; dropped",
    );
  }
}
