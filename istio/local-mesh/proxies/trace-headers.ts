import { randomBytes } from "node:crypto";
import { headerValue, type HeaderBag } from "./header-edits.js";

const HEX = /^[0-9a-f]{16}([0-9a-f]{16})?$/;

/**
 * Envoy's router (Zipkin tracer, as Istio configures it) at the edge: continue a valid incoming
 * B3 trace or start a new 128-bit one, with a new span; write B3 (`x-b3-traceid`, `x-b3-spanid`,
 * `x-b3-parentspanid`, `x-b3-sampled`) and W3C `traceparent`. Runs after the filters, so the
 * ext_authz check never sees these headers.
 */
export function injectTraceHeaders(headers: HeaderBag, sampled: boolean): void {
  const incoming = headerValue(headers, "x-b3-traceid")?.toLowerCase();
  const parent = headerValue(headers, "x-b3-spanid")?.toLowerCase();
  const traceId = incoming !== undefined && HEX.test(incoming) ? incoming : randomBytes(16).toString("hex");
  const spanId = randomBytes(8).toString("hex");
  headers["x-b3-traceid"] = traceId;
  headers["x-b3-spanid"] = spanId;
  if (incoming === traceId && parent !== undefined && HEX.test(parent)) headers["x-b3-parentspanid"] = parent;
  else Reflect.deleteProperty(headers, "x-b3-parentspanid");
  headers["x-b3-sampled"] = sampled ? "1" : "0";
  headers.traceparent = `00-${traceId.padStart(32, "0")}-${spanId}-${sampled ? "01" : "00"}`;
}
