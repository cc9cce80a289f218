import type { CheckRequest } from "../proto/types.js";
import type { TraceId, TxnId } from "../store/port.js";
import type { IgnoredReason } from "../metrics.js";
import { parseTraceId, parseTxnId } from "../ids.js";

/** Limits on a Check's header map; beyond them the Check is counted and ignored. */
export interface HeaderLimits {
  readonly maxHeaders: number;
  readonly maxHeaderBytes: number;
}

/** The ids a Check carries, or why it is ignored. */
export type CheckIds =
  | { readonly ok: true; readonly txn: TxnId; readonly traceId: TraceId | null }
  | { readonly ok: false; readonly reason: IgnoredReason };

/**
 * Reads `x-request-id` (the transaction id; NOT `HttpRequest.id`, which is Envoy's stream id) and
 * `x-b3-traceid` from a Check, after bounding the header map. An invalid trace id is dropped, not fatal.
 */
export function readCheckIds(
  req: CheckRequest,
  limits: HeaderLimits,
  onBadTrace: () => void = () => undefined,
): CheckIds {
  const headers = req.attributes?.request?.http?.headers;
  if (headers === undefined) return { ok: false, reason: "missing_headers" };
  let count = 0;
  let bytes = 0;
  for (const key in headers) {
    count++;
    bytes += key.length + (headers[key]?.length ?? 0);
    if (count > limits.maxHeaders || bytes > limits.maxHeaderBytes)
      return { ok: false, reason: "oversized_headers" };
  }
  const txn = parseTxnId(headers["x-request-id"]);
  if (txn === null) return { ok: false, reason: "invalid_txn_id" };
  const rawTrace = headers["x-b3-traceid"];
  const traceId = parseTraceId(rawTrace);
  if (rawTrace !== undefined && traceId === null) onBadTrace();
  return { ok: true, txn, traceId };
}
