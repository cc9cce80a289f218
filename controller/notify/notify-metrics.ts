/**
 * The notifier's metrics, on the controller's registry: how many notifications each target
 * was sent, failed (every attempt failed, or the target refused it) or dropped (its queue was
 * full, or the controller stopped before it went out), and how many wait in its queue.
 * Targets are labelled by a name (`webhook-1`, `slack-1`), never by their URL, which may be a secret.
 */
import { Counter, Gauge, type Registry } from "prom-client";

/** What became of one notification at one target. */
export const DeliveryOutcome = {
  Sent: "sent",
  Failed: "failed",
  Dropped: "dropped",
} as const;
/** One of {@link DeliveryOutcome}. */
export type DeliveryOutcome = (typeof DeliveryOutcome)[keyof typeof DeliveryOutcome];

/** The notifier's counters and gauges. */
export class NotifyMetrics {
  private readonly notifications: Counter<"target" | "outcome">;
  private readonly depth: Gauge<"target">;

  constructor(registry: Registry) {
    this.notifications = new Counter({
      name: "tranquil_notifications_total",
      help: "notifications per target and outcome (sent, failed after its retries, dropped from a full queue or at shutdown)",
      labelNames: ["target", "outcome"],
      registers: [registry],
    });
    this.depth = new Gauge({
      name: "tranquil_notification_queue_depth",
      help: "notifications waiting in a target's queue",
      labelNames: ["target"],
      registers: [registry],
    });
  }

  /** Starts a target's series at zero, so a scrape sees it before its first notification. */
  addTarget(target: string): void {
    for (const outcome of Object.values(DeliveryOutcome)) this.notifications.inc({ target, outcome }, 0);
    this.depth.set({ target }, 0);
  }

  /** Counts `count` notifications to `target` with this outcome. */
  count(target: string, outcome: DeliveryOutcome, count = 1): void {
    this.notifications.inc({ target, outcome }, count);
  }

  /** Sets how many notifications wait in `target`'s queue. */
  queued(target: string, depth: number): void {
    this.depth.set({ target }, depth);
  }
}
