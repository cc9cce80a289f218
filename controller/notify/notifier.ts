/**
 * The notifier: a decorator of the EventRecorder that turns phase changes, rollbacks, aborts
 * and long waits into notifications and hands each to every target's queue. Recording an
 * Event does exactly what the wrapped recorder does, plus a synchronous append per target:
 * nothing the reconciler awaits depends on a target (ADR 0099).
 */
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { UpgradeStatus } from "../engine/types.js";
import type { EventRecorder, UpgradeEventNote } from "../ports/events.js";
import type { UpgradeKey } from "../ports/upgrade-store.js";
import { postJson, type PostJson } from "./http-post.js";
import { LongWaits } from "./long-waits.js";
import type { Notification } from "./notification.js";
import { notificationOfEvent } from "./notification-of-event.js";
import type { NotifySettings } from "./notify-config.js";
import { NotifyMetrics } from "./notify-metrics.js";
import { slackPayload, webhookPayload } from "./payloads.js";
import { TargetQueue, type Sleep } from "./target-queue.js";

/** How long `stop` sends what is queued by default. */
export const DEFAULT_FLUSH_DEADLINE_MS = 5_000;

/** What a {@link Notifier} needs. */
export interface NotifierOptions {
  readonly settings: NotifySettings;
  /** The controller's registry, where the notifier's metrics go. */
  readonly registry: Registry;
  readonly logger: Logger;
  /** Reads an Upgrade's status back, to confirm a long wait. */
  readonly lookup: (key: UpgradeKey) => Promise<Pick<UpgradeStatus, "phase" | "conditions">>;
  readonly clock?: () => number;
  /**
   * Whether this controller acts (on a cluster: leads). A long wait timed while leading is
   * not notified once the Lease is lost: the new leader times its own.
   */
  readonly active?: () => boolean;
  readonly post?: PostJson;
  readonly sleep?: Sleep;
}

/** Sends notifications to the configured targets. */
export class Notifier {
  private readonly targets: TargetQueue[];
  private readonly longWaits: LongWaits;
  private readonly kinds: ReadonlySet<string>;
  private readonly logger: Logger;

  constructor(options: NotifierOptions) {
    const { settings, logger } = options;
    const active = options.active ?? ((): boolean => true);
    this.logger = logger;
    const metrics = new NotifyMetrics(options.registry);
    const common = {
      policy: settings.policy,
      post: options.post ?? postJson,
      metrics,
      logger,
      ...(options.sleep !== undefined ? { sleep: options.sleep } : {}),
    };
    this.targets = [
      ...settings.webhooks.map(
        (url, i) => new TargetQueue({ ...common, name: `webhook-${i + 1}`, url, encode: webhookPayload }),
      ),
      ...settings.slack.map(
        (url, i) => new TargetQueue({ ...common, name: `slack-${i + 1}`, url, encode: slackPayload }),
      ),
    ];
    this.kinds = new Set(settings.events);
    this.longWaits = new LongWaits({
      thresholdMs: settings.waitAfterMs,
      lookup: options.lookup,
      publish: (n) => {
        if (active()) this.publish(n);
      },
      logger,
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
    });
    logger.info(
      {
        targets: this.targets.map((t) => t.name),
        events: settings.events,
        waitAfterMs: settings.waitAfterMs,
      },
      "notifications on",
    );
  }

  /** The recorder that records through `recorder` and notifies. */
  wrap(recorder: EventRecorder): EventRecorder {
    return {
      record: (upgrade: UpgradeKey, event: UpgradeEventNote): Promise<void> => {
        this.observe(upgrade, event);
        return recorder.record(upgrade, event);
      },
    };
  }

  /** Queues a notification at every target, if its kind is sent; returns at once. */
  publish(n: Notification): void {
    if (!this.kinds.has(n.kind)) return;
    for (const target of this.targets) target.push(n);
  }

  /** Stops watching waits, then sends what is queued within `deadlineMs` (the rest is dropped). */
  async stop(deadlineMs = DEFAULT_FLUSH_DEADLINE_MS): Promise<void> {
    this.longWaits.stop();
    await Promise.all(this.targets.map((t) => t.close(deadlineMs)));
  }

  private observe(upgrade: UpgradeKey, event: UpgradeEventNote): void {
    try {
      const n = notificationOfEvent(upgrade, event);
      if (n !== undefined) this.publish(n);
      this.longWaits.observe(upgrade, event);
    } catch (err) {
      // A notification must never stop an Event from being recorded.
      this.logger.warn({ err }, "could not make a notification of an event");
    }
  }
}
