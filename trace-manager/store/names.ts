import { isCanonicalTxnId, isDnsLabel } from "../ids.js";
import { TraceStoreError } from "./errors.js";

/** What a name is, for the error message. */
type NameRole = "service" | "version" | "pod" | "gateway" | "upgrade";

const TRACE = /^[0-9a-f]{16,32}$/;

/**
 * Throws unless `name` is a DNS-1123 label. The boundary validates already; this guard makes sure
 * nothing else can ever become part of a Redis key or a record separator.
 */
export function assertName(op: string, role: NameRole, name: string): void {
  if (!isDnsLabel(name)) {
    throw new TraceStoreError("invalid-name", op, `${role} ${JSON.stringify(name)} is not a DNS-1123 label`);
  }
}

/**
 * Throws unless `txn` is a transaction id as the boundary returns it (`readTxnId`: safe
 * characters only, 1–128 long, UUIDs and hex ids lower-cased).
 */
export function assertTxn(op: string, txn: string): void {
  if (!isCanonicalTxnId(txn)) {
    throw new TraceStoreError(
      "invalid-name",
      op,
      `transaction id ${JSON.stringify(txn)} is not a validated id`,
    );
  }
}

/** Throws unless `traceId` is absent or a validated, lower-cased trace id. */
export function assertTrace(op: string, traceId: string | undefined): void {
  if (traceId !== undefined && !TRACE.test(traceId)) {
    throw new TraceStoreError(
      "invalid-name",
      op,
      `trace id ${JSON.stringify(traceId)} is not a validated id`,
    );
  }
}

/** Throws unless `t` is a finite epoch-millisecond time. */
export function assertTime(op: string, what: string, t: number): void {
  if (!Number.isFinite(t) || t < 0) {
    throw new TraceStoreError("invalid-argument", op, `${what} ${t} is not an epoch-millisecond time`);
  }
}
