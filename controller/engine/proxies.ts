/**
 * Pure checks over the proxies' reports: who confirmed an epoch or a weight version, who is
 * clean past an instant, who is stale. Missing or stale data never counts as confirmed (G4).
 */
import type { Effective } from "./effective.js";
import type { PodObservation } from "./types.js";

/** Pods that count: not terminating. */
export function livePods(pods: readonly PodObservation[]): PodObservation[] {
  return pods.filter((p) => !p.terminating);
}

/** A pod whose TraceManager has been silent too long. */
export function isStale(pod: PodObservation, cfg: Effective): boolean {
  return pod.heartbeatAgeMs > cfg.heartbeatMs * cfg.staleAfterHeartbeats;
}

/** Live pods that have not confirmed `epoch` (unconfirmed, lower, or stale). */
export function unconfirmedEpoch(pods: readonly PodObservation[], epoch: number, cfg: Effective): string[] {
  return livePods(pods)
    .filter((p) => isStale(p, cfg) || p.configEpoch === null || p.configEpoch < epoch)
    .map((p) => p.name);
}

/** Live gateways that do not apply `weightVersion` yet. */
export function unconfirmedWeight(
  pods: readonly PodObservation[],
  weightVersion: number,
  cfg: Effective,
): string[] {
  return livePods(pods)
    .filter((p) => p.role === "gateway")
    .filter((p) => isStale(p, cfg) || p.weightVersion === null || p.weightVersion < weightVersion)
    .map((p) => p.name);
}

/** Live pods whose records are not certified complete up to `instant` (dirty, stale or behind). */
export function notCleanPast(pods: readonly PodObservation[], instant: number, cfg: Effective): string[] {
  return pods
    .filter((p) => !p.terminating)
    .filter((p) => p.dirty || isStale(p, cfg) || p.watermark === null || p.watermark < instant)
    .map((p) => p.name);
}

/** Pods that are dirty or stale right now (for `status.dirtyPods`). */
export function dirtyOrStale(pods: readonly PodObservation[], cfg: Effective): string[] {
  return livePods(pods)
    .filter((p) => p.dirty || isStale(p, cfg))
    .map((p) => p.name);
}

/** A short list of names for a message: the first few and how many more. */
export function listNames(names: readonly string[], max = 5): string {
  const shown = names.slice(0, max).join(", ");
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

/** Dirty reasons that mean records may be lost, not merely late (ADR 0085). */
const LOSS_REASONS: readonly string[] = ["store-lost-records", "restart-unproven", "store-may-evict"];

/**
 * What an operator needs to know about the named pods that cannot certify their records because
 * records may be lost: which reason, and when the pod clears by itself. Empty when none of them is
 * in that state. Appended to the `DirtyPods` waits.
 */
export function lossAdvice(pods: readonly PodObservation[], names: readonly string[], max = 3): string {
  const wanted = new Set(names);
  const lossy = pods.filter(
    (p) => wanted.has(p.name) && (p.dirtyReasons ?? []).some((r) => LOSS_REASONS.includes(r)),
  );
  if (lossy.length === 0) return "";
  const parts = lossy.slice(0, max).map((p) => {
    const reasons = (p.dirtyReasons ?? []).filter((r) => LOSS_REASONS.includes(r)).join(", ");
    if ((p.dirtyReasons ?? []).includes("store-may-evict"))
      return `${p.name}: ${reasons}; set the store's maxmemory-policy to noeviction`;
    const by =
      p.heldUntil !== undefined && p.heldUntil !== null
        ? `clears by itself at ${new Date(p.heldUntil).toISOString()} (maxTransactionAge after it)`
        : "clears by itself maxTransactionAge after it";
    return `${p.name}: ${reasons}, records admitted before may be missing; ${by}`;
  });
  const more = lossy.length > max ? `; and ${lossy.length - max} more` : "";
  return ` (${parts.join("; ")}${more})`;
}
