import { assertName, assertTime, assertTrace, assertTxn } from "./names.js";
import type { CallEnd, CallStart, IngressEnd, IngressStart, OutboundSample } from "./port.js";

/*
 * Whole-batch guards: a batch with one bad item is refused before anything is written, so a
 * refused batch is never half-applied.
 */

/** Validates a batch of call starts. */
export function assertCallStarts(batch: readonly CallStart[]): void {
  for (const c of batch) {
    assertTxn("recordCallStarts", c.txn);
    assertTrace("recordCallStarts", c.traceId);
    assertName("recordCallStarts", "service", c.service);
    assertName("recordCallStarts", "version", c.version);
    assertName("recordCallStarts", "pod", c.pod);
    assertTime("recordCallStarts", "at", c.at);
  }
}

/** Validates a batch of call ends. */
export function assertCallEnds(batch: readonly CallEnd[]): void {
  for (const c of batch) {
    assertTxn("recordCallEnds", c.txn);
    assertName("recordCallEnds", "service", c.service);
    assertName("recordCallEnds", "version", c.version);
    assertName("recordCallEnds", "pod", c.pod);
    assertTime("recordCallEnds", "at", c.at);
  }
}

/** Validates a batch of outbound samples. */
export function assertOutbound(batch: readonly OutboundSample[]): void {
  for (const s of batch) {
    assertName("recordOutbound", "service", s.service);
    assertName("recordOutbound", "version", s.version);
    assertTime("recordOutbound", "at", s.at);
  }
}

/** Validates a batch of ingress starts. */
export function assertIngressStarts(batch: readonly IngressStart[]): void {
  for (const s of batch) {
    assertTxn("recordIngressStarts", s.txn);
    assertTrace("recordIngressStarts", s.traceId);
    assertName("recordIngressStarts", "gateway", s.gateway);
    assertTime("recordIngressStarts", "at", s.at);
    for (const e of s.enrolments) assertName("recordIngressStarts", "upgrade", e.upgrade);
  }
}

/** Validates a batch of ingress ends. */
export function assertIngressEnds(batch: readonly IngressEnd[]): void {
  for (const e of batch) {
    assertTxn("recordIngressEnds", e.txn);
    assertName("recordIngressEnds", "gateway", e.gateway);
    assertTime("recordIngressEnds", "at", e.at);
  }
}
