import type { TraceId, TxnId } from "../store/port.js";
import type { IgnoredReason } from "../metrics.js";
import { parseTraceId, readTxnId, type RequestIdRefusal } from "../ids.js";
import type { CheckHeaders } from "./check-headers.js";

/** The ids a Check carries, or why it is ignored (`refusal` when the `x-request-id` was refused). */
export type CheckIds =
  | { readonly ok: true; readonly txn: TxnId; readonly traceId: TraceId | null }
  | { readonly ok: false; readonly reason: IgnoredReason; readonly refusal?: RequestIdRefusal };

/**
 * Validates the ids a Check's header map carried (`x-request-id`, the transaction id, and
 * `x-b3-traceid`). An invalid trace id is dropped, not fatal.
 */
export function readCheckIds(headers: CheckHeaders, onBadTrace: () => void = () => undefined): CheckIds {
  if (headers.map === "absent") return { ok: false, reason: "missing_headers" };
  if (headers.map === "oversized") return { ok: false, reason: "oversized_headers" };
  const txn = readTxnId(headers.requestId);
  if (!txn.ok) return { ok: false, reason: "invalid_txn_id", refusal: txn.reason };
  const traceId = parseTraceId(headers.traceId);
  if (headers.traceId !== undefined && traceId === null) onBadTrace();
  return { ok: true, txn: txn.txn, traceId };
}
