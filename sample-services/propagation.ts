import { randomBytes } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { Metadata } from "@grpc/grpc-js";

/** Headers Istio asks applications to forward on every outbound call of a transaction. */
export const TRACE_HEADERS = [
  "x-request-id",
  "x-b3-traceid",
  "x-b3-spanid",
  "x-b3-parentspanid",
  "x-b3-sampled",
  "x-b3-flags",
  "b3",
  "traceparent",
  "tracestate",
  "baggage",
] as const;

/** The install-wide default enrolment header. */
export const DEFAULT_ENROLMENT_HEADER = "x-tranquil-release";

/**
 * The headers of one transaction that every hop forwards unchanged: the trace headers and the
 * enrolment header, lower-cased names, single values.
 */
export type PropagatedHeaders = Readonly<Record<string, string>>;

function namesFor(enrolmentHeader: string): readonly string[] {
  return [...TRACE_HEADERS, enrolmentHeader.toLowerCase()];
}

/** Picks the propagated headers out of an incoming HTTP request's headers. */
export function fromHttpHeaders(
  headers: IncomingHttpHeaders,
  enrolmentHeader: string = DEFAULT_ENROLMENT_HEADER,
): PropagatedHeaders {
  const out: Record<string, string> = {};
  for (const name of namesFor(enrolmentHeader)) {
    const value = headers[name];
    const first = Array.isArray(value) ? value.join(",") : value;
    if (first !== undefined && first !== "") out[name] = first;
  }
  return out;
}

/** Picks the propagated headers out of incoming gRPC metadata. */
export function fromMetadata(
  metadata: Metadata,
  enrolmentHeader: string = DEFAULT_ENROLMENT_HEADER,
): PropagatedHeaders {
  const out: Record<string, string> = {};
  for (const name of namesFor(enrolmentHeader)) {
    const values = metadata.get(name).map((v) => (typeof v === "string" ? v : v.toString("utf8")));
    if (values.length > 0 && values.join(",") !== "") out[name] = values.join(",");
  }
  return out;
}

/** Builds outbound gRPC metadata that carries the propagated headers. */
export function toMetadata(headers: PropagatedHeaders): Metadata {
  const md = new Metadata();
  for (const [name, value] of Object.entries(headers)) md.set(name, value);
  return md;
}

/** Returns the propagated headers as outbound HTTP headers (for `fetch` or `http.request`). */
export function toHttpHeaders(headers: PropagatedHeaders): Record<string, string> {
  return { ...headers };
}

/**
 * Ensures the transaction has an `x-request-id`. Behind an ingress Envoy always sets one; a
 * direct caller may not, and the challenge contract binds to it, so the entry service mints one.
 */
export function withRequestId(
  headers: PropagatedHeaders,
  mint: () => string = newRequestId,
): PropagatedHeaders {
  if (headers["x-request-id"] !== undefined) return headers;
  return { ...headers, "x-request-id": mint() };
}

/** A random request id in the UUID-v4 shape Envoy uses. */
export function newRequestId(): string {
  const b = randomBytes(16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
