import type { Logger } from "pino";
import type { StreamAccessLogsMessage } from "../proto/types.js";
import type { Recorder } from "../durable/recorder.js";
import type { TraceManagerMetrics } from "../metrics.js";
import type { Role } from "../config.js";
import { readEntry } from "./entry.js";

/** Who this TraceManager is, for turning entries into records. */
export interface AlsIdentity {
  readonly role: Role;
  readonly service: string;
  readonly version: string;
  readonly pod: string;
}

/**
 * Turns one ALS message into records. Sidecar: its own inbound entry ends the call (decrement);
 * outbound entries become samples for the analysis. Gateway: every entry ends its ingress
 * transaction (`request_id` is x-request-id), and outbound entries are samples too.
 */
export function ingestAlsMessage(
  msg: StreamAccessLogsMessage,
  id: AlsIdentity,
  recorder: Recorder,
  metrics: TraceManagerMetrics,
  now: number,
): void {
  const entries = msg.http_logs?.log_entry;
  if (entries === undefined) return;
  // Counted once per message: per-entry counter updates cost more than the parsing.
  const counts = { inbound: 0, outbound: 0, other: 0, ingress: 0, badTxn: 0, badCluster: 0 };
  for (const entry of entries) {
    const facts = readEntry(entry, now);
    if (facts.kind === "outbound") {
      if (facts.target === null) counts.badCluster++;
      else
        recorder.enqueue(recorder.outbound, {
          ...facts.target,
          at: facts.at,
          ok: facts.ok,
          durationMs: facts.durationMs,
        });
    }
    if (id.role === "gateway") {
      counts.ingress++;
      if (facts.txn === null) counts.badTxn++;
      else
        recorder.enqueue(recorder.ingressEnds, {
          txn: facts.txn,
          gateway: id.pod,
          at: facts.at,
          status: facts.status,
        });
      continue;
    }
    counts[facts.kind]++;
    if (facts.kind === "inbound") {
      if (facts.txn === null) counts.badTxn++;
      else
        recorder.enqueue(recorder.callEnds, {
          txn: facts.txn,
          service: id.service,
          version: id.version,
          pod: id.pod,
          at: facts.at,
          status: facts.status,
          durationMs: facts.durationMs,
        });
    } else if (facts.kind === "other") {
      counts.badCluster++;
    }
  }
  for (const kind of ["inbound", "outbound", "other", "ingress"] as const)
    if (counts[kind] > 0) metrics.alsEntries.inc({ kind }, counts[kind]);
  if (counts.badTxn > 0) metrics.ignored.inc({ reason: "invalid_txn_id" }, counts.badTxn);
  if (counts.badCluster > 0) metrics.ignored.inc({ reason: "unknown_cluster" }, counts.badCluster);
}

/** A gRPC client stream as the handler sees it. */
export interface AlsCall {
  on(event: "data", fn: (msg: StreamAccessLogsMessage | MalformedMessage) => void): unknown;
  on(event: "error", fn: (err: Error) => void): unknown;
  on(event: "end" | "close", fn: () => void): unknown;
}

/** What the lenient deserializer yields for bytes that are not a valid message. */
export interface MalformedMessage {
  readonly __malformed: true;
}

/** True for the lenient deserializer's marker. */
export function isMalformed(msg: unknown): msg is MalformedMessage {
  return typeof msg === "object" && msg !== null && "__malformed" in msg;
}

/** Serves one StreamAccessLogs stream until the proxy closes it; failed streams are counted. */
export function serveAlsStream(
  call: AlsCall,
  reply: (err: Error | null, res?: Record<string, never>) => void,
  deps: {
    readonly id: AlsIdentity;
    readonly recorder: Recorder;
    readonly metrics: TraceManagerMetrics;
    readonly clock: () => number;
    readonly log: Logger;
  },
): void {
  const { metrics } = deps;
  metrics.alsStreams.inc();
  let open = true;
  let broken = false;
  const finish = (): void => {
    if (!open) return;
    open = false;
    metrics.alsStreams.dec();
  };
  const breaks = (why: string): void => {
    finish();
    if (broken) return;
    broken = true;
    metrics.alsStreamErrors.inc();
    deps.log.debug({ why }, "ALS stream broke");
  };
  call.on("data", (msg) => {
    if (isMalformed(msg)) {
      metrics.ignored.inc({ reason: "malformed_message" });
      return;
    }
    try {
      ingestAlsMessage(msg, deps.id, deps.recorder, metrics, deps.clock());
    } catch (err) {
      // Defensive: a message shape the reader did not expect must not end the stream.
      metrics.ignored.inc({ reason: "malformed_message" });
      deps.log.warn({ err }, "ALS message could not be read");
    }
  });
  call.on("end", () => {
    finish();
    reply(null, {});
  });
  // A transport or framing failure. (grpc-js reports a proxy's reset like a half-close followed by
  // "cancelled", which it also emits after every normal call, so resets are not told apart here.)
  call.on("error", (err) => breaks(err.message));
  call.on("close", finish);
}
