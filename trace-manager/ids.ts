import type { TraceId, TxnId } from "./store/port.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX_16_64 = /^[0-9a-f]{16,64}$/i;
const HEX_TRACE = /^(?:[0-9a-f]{16}|[0-9a-f]{32})$/i;
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Validates an `x-request-id`: a UUID (any version) or 16–64 hex digits. Returns the lower-cased
 * id, or null for anything else (the caller counts and ignores it).
 */
export function parseTxnId(raw: string | undefined): TxnId | null {
  if (raw === undefined || raw.length > 64) return null;
  if (!UUID.test(raw) && !HEX_16_64.test(raw)) return null;
  return raw.toLowerCase() as TxnId;
}

/** Validates an `x-b3-traceid`: 16 or 32 hex digits, lower-cased; null otherwise. */
export function parseTraceId(raw: string | undefined): TraceId | null {
  if (raw === undefined || !HEX_TRACE.test(raw)) return null;
  return raw.toLowerCase() as TraceId;
}

/** True for an RFC 1123 DNS label (lower case, 1–63 characters), the only names used in keys. */
export function isDnsLabel(raw: string | undefined): raw is string {
  return raw !== undefined && DNS_LABEL.test(raw);
}
