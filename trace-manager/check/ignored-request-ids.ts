import type { Counter } from "prom-client";
import type { RequestIdRefusal } from "../ids.js";
import type { IgnoredRequestIdsFact } from "../store/port.js";

/**
 * Counts the Checks whose `x-request-id` was refused: in the metric
 * `tranquil_tm_ignored_request_ids_total{reason}`, and as the per-pod fact the heartbeat reports
 * (total and last time), so the controller can name a pod whose transactions it cannot see.
 */
export class IgnoredRequestIds {
  private total = 0;
  private lastAt: number | null = null;

  constructor(private readonly counter: Counter<"reason">) {}

  /** Counts one refused id at `at` (epoch ms). */
  note(reason: RequestIdRefusal, at: number): void {
    this.counter.inc({ reason });
    this.total += 1;
    this.lastAt = this.lastAt === null ? at : Math.max(this.lastAt, at);
  }

  /** What the heartbeat reports. */
  fact(): IgnoredRequestIdsFact {
    return { total: this.total, lastAt: this.lastAt };
  }
}
