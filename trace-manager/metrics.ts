import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** Record kinds the TraceManager writes, a bounded label set. */
export const RECORD_KINDS = ["call_start", "call_end", "outbound", "ingress_start", "ingress_end"] as const;
/** One of `RECORD_KINDS`. */
export type RecordKind = (typeof RECORD_KINDS)[number];

/** Reasons an input is ignored, a bounded label set. */
export const IGNORED_REASONS = [
  "invalid_txn_id",
  "invalid_trace_id",
  "missing_headers",
  "oversized_headers",
  "malformed_message",
  "unknown_cluster",
  "invalid_name",
] as const;
/** One of `IGNORED_REASONS`. */
export type IgnoredReason = (typeof IGNORED_REASONS)[number];

/** The TraceManager's metrics, in their own registry with the `tranquil_tm_` prefix. */
export interface TraceManagerMetrics {
  readonly registry: Registry;
  readonly checks: Counter<"role" | "outcome">;
  readonly checkSeconds: Histogram;
  readonly alsEntries: Counter<"kind">;
  readonly alsStreams: Gauge;
  readonly alsStreamErrors: Counter;
  readonly ignored: Counter<"reason">;
  /** Checks whose `x-request-id` was refused, by `RequestIdRefusal` (ADR 0084). */
  readonly ignoredRequestIds: Counter<"reason">;
  readonly recordsWritten: Counter<"kind">;
  readonly recordsDropped: Counter<"kind">;
  readonly storeErrors: Counter<"kind">;
  readonly buffered: Gauge<"kind">;
  readonly violations: Counter;
  readonly clamped: Counter<"kind">;
  readonly dirty: Gauge;
  readonly dirtyEvents: Counter<"reason">;
  readonly watermarkLagSeconds: Gauge;
  readonly heartbeats: Counter<"outcome">;
  readonly enrolments: Counter<"enrolled">;
}

/** Creates the metrics in a fresh registry (one per TraceManager, so several fit in one process). */
export function createMetrics(): TraceManagerMetrics {
  const registry = new Registry();
  const p = "tranquil_tm_";
  const registers = [registry];
  return {
    registry,
    checks: new Counter({
      name: `${p}checks_total`,
      help: "Check calls answered, by role and outcome (durable, late, ignored).",
      labelNames: ["role", "outcome"],
      registers,
    }),
    checkSeconds: new Histogram({
      name: `${p}check_duration_seconds`,
      help: "Time from Check arrival to reply.",
      buckets: [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05],
      registers,
    }),
    alsEntries: new Counter({
      name: `${p}als_entries_total`,
      help: "ALS HTTP entries read, by kind (inbound, outbound, ingress, other).",
      labelNames: ["kind"],
      registers,
    }),
    alsStreams: new Gauge({ name: `${p}als_streams_open`, help: "Open ALS streams.", registers }),
    alsStreamErrors: new Counter({
      name: `${p}als_stream_errors_total`,
      help: "ALS streams that broke (reset, decode error).",
      registers,
    }),
    ignored: new Counter({
      name: `${p}ignored_inputs_total`,
      help: "Inputs counted and ignored, by reason.",
      labelNames: ["reason"],
      registers,
    }),
    ignoredRequestIds: new Counter({
      name: `${p}ignored_request_ids_total`,
      help: "Checks not tracked because their x-request-id was refused, by reason (missing, empty, too_long, unsafe_characters).",
      labelNames: ["reason"],
      registers,
    }),
    recordsWritten: new Counter({
      name: `${p}records_written_total`,
      help: "Records durably written to the store.",
      labelNames: ["kind"],
      registers,
    }),
    recordsDropped: new Counter({
      name: `${p}records_dropped_total`,
      help: "Records dropped because the buffer was full.",
      labelNames: ["kind"],
      registers,
    }),
    storeErrors: new Counter({
      name: `${p}store_errors_total`,
      help: "Failed store writes (each retried).",
      labelNames: ["kind"],
      registers,
    }),
    buffered: new Gauge({
      name: `${p}records_buffered`,
      help: "Records waiting to be written.",
      labelNames: ["kind"],
      registers,
    }),
    violations: new Counter({
      name: `${p}violations_total`,
      help: "Consistency violations the store reported for this pod's writes.",
      registers,
    }),
    clamped: new Counter({
      name: `${p}clamped_decrements_total`,
      help: "Decrements that would have gone below zero.",
      labelNames: ["kind"],
      registers,
    }),
    dirty: new Gauge({ name: `${p}dirty`, help: "1 while the pod is dirty.", registers }),
    dirtyEvents: new Counter({
      name: `${p}dirty_events_total`,
      help: "Faults that made the pod dirty, by reason.",
      labelNames: ["reason"],
      registers,
    }),
    watermarkLagSeconds: new Gauge({
      name: `${p}watermark_lag_seconds`,
      help: "Heartbeat time minus the reported watermark.",
      registers,
    }),
    heartbeats: new Counter({
      name: `${p}heartbeats_total`,
      help: "Heartbeats, by outcome.",
      labelNames: ["outcome"],
      registers,
    }),
    enrolments: new Counter({
      name: `${p}enrolment_decisions_total`,
      help: "Gateway enrolment decisions per upgrade.",
      labelNames: ["enrolled"],
      registers,
    }),
  };
}
