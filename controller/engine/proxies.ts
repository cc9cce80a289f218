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
