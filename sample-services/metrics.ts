import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Activity } from "./activity.js";

/** Prefix of every sample-service metric. */
export const METRIC_PREFIX = "tranquil_sample_";

/** RED metrics of one service instance, in its own Registry. */
export interface ServiceMetrics {
  readonly registry: Registry;
  /** Records one finished application request. `code` is the gRPC status name or HTTP status. */
  observe(method: string, code: string, seconds: number): void;
}

/**
 * Creates the instance's Registry: requests and duration per method, code and version, plus the
 * in-flight count and last-served time read from `activity` at scrape time.
 */
export function createServiceMetrics(service: string, version: string, activity: Activity): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service, version });
  const requests = new Counter({
    name: `${METRIC_PREFIX}requests_total`,
    help: "Application requests served, by method and result code",
    labelNames: ["method", "code", "version"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: `${METRIC_PREFIX}request_duration_seconds`,
    help: "Application request duration, by method and result code",
    labelNames: ["method", "code", "version"] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  new Gauge({
    name: `${METRIC_PREFIX}in_flight_requests`,
    help: "Application requests in progress (health checks and scrapes excluded)",
    registers: [registry],
    collect() {
      this.set(activity.inFlight());
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}last_served_timestamp_seconds`,
    help: "Time this instance last served an application request (0 = never)",
    registers: [registry],
    collect() {
      const at = activity.lastServedAt();
      this.set(at === null ? 0 : at / 1000);
    },
  });
  return {
    registry,
    observe(method, code, seconds) {
      requests.inc({ method, code, version });
      duration.observe({ method, code, version }, seconds);
    },
  };
}
