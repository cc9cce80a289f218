/**
 * The injection webhook's metrics (prefix `tranquil_injection_`), in their own registry: every
 * review counted by result and reason (bounded: the skip reasons and a few error kinds), and
 * how long answering took.
 */
import { Counter, Histogram, Registry } from "prom-client";

/** How a review ended. */
export type ReviewResult = "injected" | "skipped" | "error";

/** The webhook's metric set. */
export class InjectionMetrics {
  readonly registry = new Registry();
  private readonly reviews = new Counter({
    name: "tranquil_injection_reviews_total",
    help: "admission reviews answered, by result (injected, skipped, error) and reason; every answer allows the pod",
    labelNames: ["result", "reason"] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: "tranquil_injection_review_duration_seconds",
    help: "time to answer one admission review",
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    registers: [this.registry],
  });

  /** Counts one answered review. */
  count(result: ReviewResult, reason: string, seconds: number): void {
    this.reviews.inc({ result, reason });
    this.duration.observe(seconds);
  }

  /** The count for one result and reason (for tests and logs). */
  async countOf(result: ReviewResult, reason: string): Promise<number> {
    const metric = await this.reviews.get();
    return metric.values.find((v) => v.labels.result === result && v.labels.reason === reason)?.value ?? 0;
  }
}
