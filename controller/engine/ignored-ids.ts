/**
 * Pods whose TraceManager refused `x-request-id` values during the drain (ADR 0084). A refused
 * id is served but not tracked, so its transaction is invisible to the ingress drain, to pins
 * and to the active-call counters: a mixed-version split cannot be ruled out for it. The
 * engine does not wait on this (any caller could then hold an upgrade forever by sending bad
 * ids); it reports it, once per new count, as a Warning event, and in the history line that
 * ends the drain.
 */
import { listNames } from "./proxies.js";
import type { Tick } from "./tick.js";
import type { PodObservation } from "./types.js";

/** Where the refused ids are counted, for the messages. */
const METRIC = "tranquil_tm_ignored_request_ids_total";

/** Pods that refused an id at or after `since`, with their totals. */
function refusedSince(pods: readonly PodObservation[], since: number): { name: string; total: number }[] {
  const out: { name: string; total: number }[] = [];
  for (const p of pods) {
    const fact = p.ignoredRequestIds;
    if (fact === undefined || fact.lastAt === null || fact.lastAt < since) continue;
    out.push({ name: p.name, total: fact.total });
  }
  return out;
}

function describe(pods: readonly { name: string; total: number }[]): string {
  return listNames(pods.map((p) => `${p.name} (${p.total} since its TraceManager started)`));
}

/**
 * Emits a `RequestIdsIgnored` Warning event when a pod reports refused ids since the drain
 * started and its total changed since the last event of this drain.
 */
export function reportIgnoredRequestIds(t: Tick): void {
  const e = t.s.engine;
  const since = e.instants.drainStartedAt ?? e.stageSince;
  const reported = e.ignoredRequestIdsReported ?? {};
  const fresh = refusedSince(t.obs.pods, since).filter((p) => reported[p.name] !== p.total);
  if (fresh.length === 0) return;
  e.ignoredRequestIdsReported = { ...reported, ...Object.fromEntries(fresh.map((p) => [p.name, p.total])) };
  t.event(
    "Warning",
    "RequestIdsIgnored",
    `x-request-id values refused during the drain by ${describe(fresh)}, counted in ${METRIC}: ` +
      "their transactions are not tracked, so draining and pinning cannot hold them on one version; " +
      "applications must send ids of 1-128 characters from letters, digits and _ . ~ : @ / + = -",
  );
}

/** A note for the line that ends the drain, or "" when no pod refused an id during it. */
export function ignoredRequestIdsNote(t: Tick): string {
  const e = t.s.engine;
  const pods = Object.keys(e.ignoredRequestIdsReported ?? {});
  if (pods.length === 0) return "";
  return `; x-request-id values were refused during the drain by ${listNames(pods)} (see the RequestIdsIgnored events and ${METRIC})`;
}
