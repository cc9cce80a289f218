import type { Duration, HTTPAccessLogEntry, Timestamp } from "../proto/types.js";
import type { TxnId } from "../store/port.js";
import { isDnsLabel, parseTxnId } from "../ids.js";
import { parseClusterName } from "./cluster-name.js";

/** What one ALS HTTP entry means to the TraceManager. */
export type AlsFacts =
  | {
      readonly kind: "inbound";
      readonly txn: TxnId | null;
      readonly status: number;
      readonly durationMs: number;
      readonly at: number;
    }
  | {
      readonly kind: "outbound";
      readonly txn: TxnId | null;
      /** Callee service (first DNS label of the host) and subset; null when not attributable. */
      readonly target: { readonly service: string; readonly version: string } | null;
      readonly status: number;
      readonly ok: boolean;
      readonly durationMs: number;
      readonly at: number;
    }
  | { readonly kind: "other"; readonly txn: TxnId | null; readonly status: number; readonly at: number };

function durationMs(d: Duration | undefined): number | null {
  if (d === undefined) return null;
  return Number(d.seconds ?? "0") * 1000 + (d.nanos ?? 0) / 1e6;
}

function timestampMs(t: Timestamp | undefined): number | null {
  if (t === undefined) return null;
  return Number(t.seconds ?? "0") * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

/** gRPC status from trailers (or headers, for trailers-only replies); null for plain HTTP. */
function grpcStatus(entry: HTTPAccessLogEntry): string | null {
  return (
    entry.response?.response_trailers?.["grpc-status"] ??
    entry.response?.response_headers?.["grpc-status"] ??
    null
  );
}

/**
 * Reads the facts of one entry: its direction, transaction id (validated), status and timing.
 * `at` is the end of the request (start + duration) when Envoy gives both, else `now`.
 */
export function readEntry(entry: HTTPAccessLogEntry, now: number): AlsFacts {
  const common = entry.common_properties;
  const status = entry.response?.response_code?.value ?? 0;
  const dur = durationMs(common?.duration) ?? durationMs(common?.time_to_last_downstream_tx_byte) ?? 0;
  const start = timestampMs(common?.start_time);
  const at = start !== null && Number.isFinite(start) ? Math.round(start + dur) : now;
  const txn = parseTxnId(entry.request?.request_id);
  const cluster = parseClusterName(common?.upstream_cluster);
  if (cluster?.direction === "inbound") return { kind: "inbound", txn, status, durationMs: dur, at };
  if (cluster?.direction === "outbound") {
    const service = cluster.host.split(".")[0];
    const target =
      isDnsLabel(service) && isDnsLabel(cluster.subset) ? { service, version: cluster.subset } : null;
    const grpc = grpcStatus(entry);
    // Envoy logs 0 when no response came back (reset, timeout before headers).
    const ok = status > 0 && status < 500 && (grpc === null || grpc === "0");
    return { kind: "outbound", txn, target, status, ok, durationMs: dur, at };
  }
  return { kind: "other", txn, status, at };
}
