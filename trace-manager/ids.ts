import type { TraceId, TxnId } from "./store/port.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX_16_64 = /^[0-9a-f]{16,64}$/i;
const HEX_TRACE = /^(?:[0-9a-f]{16}|[0-9a-f]{32})$/i;
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** The longest `x-request-id` the TraceManager tracks. */
export const MAX_TXN_ID_LENGTH = 128;

/**
 * The characters a tracked `x-request-id` may hold (ADR 0084): letters, digits and `_ . ~ : @ / + = -`.
 * Left out on purpose: whitespace and control characters, non-ASCII, `,` (Envoy joins repeated
 * headers with it), `|` and `;` (separators of the store's records), `#` (the store's counter
 * fields start with it), `{` and `}` (Redis Cluster hash tags), `*`, `?`, `[`, `]` (Redis glob
 * patterns), quotes, backslash and the other RE2 metacharacters (`^ $ ( ) |`).
 */
const TXN_CHARS = /^[A-Za-z0-9_.~:@/+=-]+$/;

/** Why an `x-request-id` is not tracked: a bounded label set. */
export const REQUEST_ID_REFUSALS = ["missing", "empty", "too_long", "unsafe_characters"] as const;
/** One of `REQUEST_ID_REFUSALS`. */
export type RequestIdRefusal = (typeof REQUEST_ID_REFUSALS)[number];

/** A read `x-request-id`: the transaction id to track, or why it is not tracked. */
export type TxnIdReading =
  { readonly ok: true; readonly txn: TxnId } | { readonly ok: false; readonly reason: RequestIdRefusal };

/**
 * Reads an `x-request-id` (ADR 0003, widened by ADR 0084). A UUID (any version) or 16–64 hex
 * digits is lower-cased, as Envoy writes them; any other id of 1–128 characters from the safe set
 * (letters, digits, `_ . ~ : @ / + = -`) is kept exactly as sent, since header matches (pins) are
 * case-sensitive. Anything else is refused with a reason.
 */
export function readTxnId(raw: string | undefined): TxnIdReading {
  if (raw === undefined) return { ok: false, reason: "missing" };
  if (raw.length === 0) return { ok: false, reason: "empty" };
  if (raw.length > MAX_TXN_ID_LENGTH) return { ok: false, reason: "too_long" };
  if (!TXN_CHARS.test(raw)) return { ok: false, reason: "unsafe_characters" };
  const canonical = UUID.test(raw) || HEX_16_64.test(raw) ? raw.toLowerCase() : raw;
  return { ok: true, txn: canonical as TxnId };
}

/** `readTxnId`'s transaction id, or null when the id is refused (the caller counts and ignores it). */
export function parseTxnId(raw: string | undefined): TxnId | null {
  const read = readTxnId(raw);
  return read.ok ? read.txn : null;
}

/** True when `raw` is a transaction id as `readTxnId` returns it (accepted and already canonical). */
export function isCanonicalTxnId(raw: string): boolean {
  return parseTxnId(raw) === raw;
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
