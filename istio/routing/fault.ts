/**
 * HTTP fault injection as Istio configures it and Envoy's fault filter runs it: istiod turns a
 * route's `fault` into an `envoy.filters.http.fault` per-route config (pilot route.go
 * TranslateFault), and the filter, after the route is chosen and before the router, first rolls
 * the delay, then (after any delay) the abort.
 */
import { parseDurationMs } from "./duration.js";
import type { HTTPFaultInjection } from "../api/types.js";

/** Envoy `FractionalPercent`: `numerator / denominator` of requests. */
export interface FractionalPercent {
  readonly numerator: number;
  readonly denominator: "HUNDRED" | "MILLION";
}

/** The `envoy.filters.http.fault` per-route config istiod writes for a route's `fault`. */
export interface EnvoyHttpFault {
  readonly delay?: { readonly fixedDelayMs: number; readonly percentage: FractionalPercent };
  readonly abort?: {
    /** The status sent; 200 when the abort gives a gRPC status instead. */
    readonly httpStatus?: number;
    readonly grpcStatus?: number;
    /** Absent when the route gives none: Envoy's default, 0 %, never aborts. */
    readonly percentage?: FractionalPercent;
  };
}

/** The fault the filter injects into one request, once its percentages are rolled. */
export interface InjectedFault {
  /** Wait this long before going on (Envoy response flag `DI`). */
  readonly delayMs?: number;
  /**
   * Answer locally after any delay; the request never reaches the upstream (flag `FI`).
   * `httpStatus` is 200 for a gRPC status abort (Envoy sends it trailers-only to gRPC callers).
   */
  readonly abort?: { readonly httpStatus: number; readonly grpcStatus?: number };
}

/** gRPC status codes by the names Istio accepts in `abort.grpcStatus` (pkg/util/grpc SupportedGRPCStatus). */
export const GrpcStatusCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** Envoy's local reply body for an injected abort. */
export const FAULT_ABORT_BODY = "fault filter abort";

function grpcCode(name: string): number | undefined {
  return Object.hasOwn(GrpcStatusCode, name)
    ? GrpcStatusCode[name as keyof typeof GrpcStatusCode]
    : undefined;
}

/** Istio's `Percent` (a double, 0–100) in millionths, truncated as istiod does. */
function fromPercent(value: number | undefined): FractionalPercent {
  return { numerator: Math.max(0, Math.trunc((value ?? 0) * 10_000)), denominator: "MILLION" };
}

/**
 * The per-route fault config istiod writes, or undefined when the route has none that Envoy
 * can run. As Istio does: a delay's `percentage` (else the deprecated integer `percent`, else
 * 0 %); an `exponentialDelay` drops the delay; an abort keeps its `percentage` only when given
 * (Envoy then never aborts: the reference says "all requests", but istio/istio#36303 and
 * #39969 settled on the data plane's 0 %); `http2Error` or an unknown gRPC status name drops
 * the abort.
 */
export function translateFault(fault: HTTPFaultInjection | undefined): EnvoyHttpFault | undefined {
  if (fault === undefined) return undefined;
  const delayMs = fault.delay?.fixedDelay === undefined ? undefined : parseDurationMs(fault.delay.fixedDelay);
  const delay =
    fault.delay === undefined || delayMs === undefined
      ? undefined
      : {
          fixedDelayMs: delayMs,
          percentage:
            fault.delay.percentage !== undefined
              ? fromPercent(fault.delay.percentage.value)
              : {
                  numerator: Math.max(0, Math.trunc(fault.delay.percent ?? 0)),
                  denominator: "HUNDRED" as const,
                },
        };
  const abort = fault.abort;
  const grpc = abort?.grpcStatus === undefined ? undefined : grpcCode(abort.grpcStatus);
  const error =
    abort?.httpStatus !== undefined
      ? { httpStatus: abort.httpStatus }
      : grpc !== undefined
        ? { grpcStatus: grpc }
        : undefined;
  const percentage =
    abort?.percentage === undefined ? {} : { percentage: fromPercent(abort.percentage.value) };
  if (delay === undefined && error === undefined) return undefined;
  return {
    ...(delay === undefined ? {} : { delay }),
    ...(error === undefined ? {} : { abort: { ...error, ...percentage } }),
  };
}

/**
 * Envoy's `featureEnabled` with a fractional percent: true when a random value modulo the
 * denominator falls under the numerator. `random()` is in [0, 1).
 */
export function percentEnabled(p: FractionalPercent | undefined, random: () => number): boolean {
  if (p === undefined || p.numerator <= 0) return false;
  const denominator = p.denominator === "MILLION" ? 1_000_000 : 100;
  if (p.numerator >= denominator) return true;
  return Math.floor(Math.min(Math.max(random(), 0), 1 - Number.EPSILON) * denominator) < p.numerator;
}

/**
 * Rolls a route's fault for one request in the filter's order: the delay first (it fires only
 * when longer than 0 ms), then the abort. Undefined when neither fires. Rolls draw `random()`
 * only for percentages strictly between 0 and 100 %.
 */
export function rollFault(
  fault: EnvoyHttpFault | undefined,
  random: () => number,
): InjectedFault | undefined {
  if (fault === undefined) return undefined;
  const delayed =
    fault.delay !== undefined &&
    fault.delay.fixedDelayMs > 0 &&
    percentEnabled(fault.delay.percentage, random);
  const aborted = fault.abort !== undefined && percentEnabled(fault.abort.percentage, random);
  const abort = fault.abort;
  if (!delayed && !aborted) return undefined;
  return {
    ...(delayed && fault.delay !== undefined ? { delayMs: fault.delay.fixedDelayMs } : {}),
    ...(aborted && abort !== undefined
      ? {
          abort:
            abort.httpStatus !== undefined
              ? { httpStatus: abort.httpStatus }
              : {
                  httpStatus: 200,
                  ...(abort.grpcStatus === undefined ? {} : { grpcStatus: abort.grpcStatus }),
                },
        }
      : {}),
  };
}
