import { isDnsLabel } from "../ids.js";
import { TraceStoreError } from "./errors.js";

/** What a name is, for the error message. */
type NameRole = "service" | "version" | "pod" | "gateway" | "upgrade";

const TXN = /^[0-9a-f-]{16,64}$/;
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

/** Throws unless `txn` has the shape of a validated, lower-cased transaction id. */
export function assertTxn(op: string, txn: string): void {
  if (!TXN.test(txn)) {
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
