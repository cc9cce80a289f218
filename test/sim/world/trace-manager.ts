/**
 * Each pod's TraceManager: a heartbeat every second that reports the watermark (now when
 * clean, frozen while dirty), the config epoch of its proxy's admin view, the endpoints it
 * lists, Envoy's active requests and (gateways) the weight version applied; reconciliation
 * of a dirty pod once every call it failed to account for has ended; and, on gateways, the
 * weight cache that picks up a published weight.
 */
import type { EventQueue } from "../event-queue.js";
import type { Prng } from "../prng.js";
import type { SimScenario } from "../scenario.js";
import type { GroundTruth } from "./ground-truth.js";
import type { ProxyViews } from "./proxy-views.js";
import { recordCallEnd, recordIngressEnd, type HeartbeatReport, type TraceStore } from "./trace-store.js";
import { deploymentKey, type Pod } from "./types.js";

/** What a TraceManager reaches in the world. */
export interface TraceManagerContext {
  readonly scenario: SimScenario;
  readonly queue: EventQueue;
  readonly prng: Prng;
  readonly store: TraceStore;
  readonly truth: GroundTruth;
  readonly gateways: readonly Pod[];
  /** Envoy's ground truth: calls and ingress transactions in flight. */
  readonly inFlight: ReadonlySet<number>;
  readonly inFlightTxns: ReadonlySet<string>;
  readonly views: ProxyViews;
  /** Marks the pod clean again (closes its dirty interval). */
  closeDirty(pod: Pod): void;
}

/** The heartbeat report of `pod` now. */
export function heartbeatReport(ctx: TraceManagerContext, pod: Pod): HeartbeatReport {
  // `/clusters` lists a subset cluster only when the proxy's config defines that subset.
  const subsets = ctx.views.subsetsAt(pod.proxy.adminVersion);
  const listed: Record<string, number> = {};
  for (const ep of pod.proxy.endpoints) {
    const k = deploymentKey(ep.service, ep.version);
    if (!subsets.has(k)) continue;
    listed[k] = (listed[k] ?? 0) + 1;
  }
  return {
    pod: pod.id,
    role: pod.role,
    service: pod.service,
    version: pod.version,
    at: ctx.queue.now,
    watermark: pod.tm.watermark,
    dirty: pod.tm.dirty,
    terminating: pod.state === "terminating",
    configEpoch: ctx.views.configEpoch(pod.proxy),
    weightVersion: pod.role === "gateway" ? pod.tm.weightVersion : null,
    listed,
    downstreamActive: pod.active,
  };
}

/** Envoy's counters show everything admitted while dirty has ended: close what the records miss, certify again. */
function reconcile(ctx: TraceManagerContext, pod: Pod): void {
  const { store, queue, inFlight } = ctx;
  const tm = pod.tm;
  for (const id of [...tm.unaccounted]) if (!inFlight.has(id)) tm.unaccounted.delete(id);
  if (tm.unaccounted.size > 0) return;
  for (const active of store.activeByVersion.values()) {
    for (const rec of [...active]) {
      if (rec.pod === pod.id && !inFlight.has(rec.id)) recordCallEnd(store, rec.id, queue.now);
    }
  }
  if (pod.role === "gateway") {
    for (const rec of store.ingress.values()) {
      if (rec.gateway === pod.id && rec.endAt === null && !ctx.inFlightTxns.has(rec.txn)) {
        recordIngressEnd(store, rec.txn, queue.now);
      }
    }
  }
  ctx.closeDirty(pod);
}

/** Starts the heartbeat (and, for gateways, the weight cache) of `pod`'s TraceManager. */
export function startTraceManager(ctx: TraceManagerContext, pod: Pod): void {
  const { queue, prng, store, truth, scenario: s } = ctx;
  const beat = (): void => {
    if (pod.state === "gone") return;
    const tm = pod.tm;
    if (tm.up) {
      if (tm.dirty) reconcile(ctx, pod);
      if (!tm.dirty) tm.watermark = queue.now;
      tm.lastHeartbeat = queue.now;
      store.reports.set(pod.id, heartbeatReport(ctx, pod));
    }
    queue.after(s.heartbeatMs, beat);
  };
  queue.after(prng.between(0, s.heartbeatMs), beat);
  if (pod.role !== "gateway") return;
  const poll = (): void => {
    if (pod.state === "gone") return;
    const p = store.published;
    if (pod.tm.up && p !== null && p.weightVersion > pod.tm.weightVersion) {
      pod.tm.weight = p.weight;
      pod.tm.weightVersion = p.weightVersion;
      if (p.weight >= 100 && truth.cutoverAt === null && ctx.gateways.every((g) => g.tm.weight >= 100)) {
        truth.cutoverAt = queue.now;
      }
    }
    queue.after(s.weightCacheMs, poll);
  };
  queue.after(prng.between(0, s.weightCacheMs), poll);
}
