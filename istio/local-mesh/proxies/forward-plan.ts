import type { RoundRobin } from "./endpoint-picker.js";
import type { HeaderEdits, UpstreamEndpoint } from "./route-port.js";
import type { ResponseFlagName } from "./local-reply.js";
import type { ProxyStats } from "./stats.js";
import type { UpstreamPool } from "./upstream-pool.js";

/** Istio's default retry policy (`attempts: 2`, `retryOn: connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes` with 503). */
export const DefaultRetry = {
  attempts: 2,
  retriableStatus: 503,
  /** gRPC `UNAVAILABLE` and `CANCELLED`. */
  retriableGrpc: ["14", "1"],
} as const;

/** Request bodies above this size are not buffered for retries (Envoy's per-request buffer limit). */
export const RetryBufferLimitBytes = 1024 * 1024;

/** Everything one forward needs, fixed when the stream starts (a stream keeps its route). */
export interface ForwardPlan {
  readonly cluster: string;
  /** Healthy endpoints of the chosen subset, from the stream's own snapshot. */
  readonly candidates: readonly UpstreamEndpoint[];
  readonly retries: number;
  readonly timeoutMs?: number;
  readonly responseEdits: readonly HeaderEdits[];
  /** Send `x-envoy-attempt-count` (Istio sets `include_request_attempt_count` on outbound virtual hosts). */
  readonly attemptCount?: boolean;
  readonly stats: ProxyStats;
  readonly rr: RoundRobin;
  readonly pool: UpstreamPool;
}

/** How a forwarded request ended, for stats and the access log. */
export interface ForwardOutcome {
  readonly status: number;
  readonly flags: readonly ResponseFlagName[];
  /** The endpoint that served the final attempt. */
  readonly upstreamHost?: string;
  readonly attempts: number;
  /** gRPC status and where it came: response headers (trailers-only) or trailers. */
  readonly grpcStatus?: { readonly value: string; readonly in: "headers" | "trailers" };
}

/** Why an attempt failed before the response started. */
export type AttemptFailure = "connect-failure" | "refused-stream" | "remote-reset" | "timeout";
