/**
 * The leader record in a `coordination.k8s.io/v1` Lease, as client-go's leaderelection writes
 * it: who holds it, for how long a holder promises to renew, when it was acquired and last
 * renewed, and how many times it changed hands. Pure functions: what to write to claim, renew
 * or release it.
 */
import { V1MicroTime, type V1Lease, type V1LeaseSpec } from "@kubernetes/client-node";

/** The holder of a Lease, or "" when nobody holds it (released). */
export function holderOf(lease: V1Lease | undefined): string {
  return lease?.spec?.holderIdentity ?? "";
}

/**
 * How long the holder promised to renew within, in ms: a standby may take the Lease over once
 * it has seen no change of the record for that long, measured on its own clock.
 */
export function promisedDurationMs(lease: V1Lease, fallbackMs: number): number {
  const seconds = lease.spec?.leaseDurationSeconds;
  return seconds !== undefined && seconds > 0 ? seconds * 1_000 : fallbackMs;
}

/** The record's transitions count (0 when unset). */
export function transitionsOf(lease: V1Lease | undefined): number {
  return lease?.spec?.leaseTransitions ?? 0;
}

/**
 * The spec that claims (or, for the current holder, renews) the Lease for `identity`: a new
 * holder gets a new acquireTime and one more transition; the holder keeps both (the kept
 * acquireTime is the server's own string, as client-node returns MicroTime fields).
 */
export function claimSpec(
  current: V1Lease | undefined,
  identity: string,
  leaseDurationSeconds: number,
  nowWallMs: number,
): V1LeaseSpec {
  const now = new V1MicroTime(nowWallMs);
  const renewing = current !== undefined && holderOf(current) === identity;
  return {
    holderIdentity: identity,
    leaseDurationSeconds,
    acquireTime: renewing ? (current.spec?.acquireTime ?? now) : now,
    renewTime: now,
    leaseTransitions: current === undefined ? 0 : transitionsOf(current) + (renewing ? 0 : 1),
  };
}

/**
 * The spec of a released Lease: no holder and a one-second duration, so a standby takes it at
 * its next attempt; the transitions count is kept (the next holder adds one), as client-go does.
 */
export function releasedSpec(current: V1Lease, nowWallMs: number): V1LeaseSpec {
  const now = new V1MicroTime(nowWallMs);
  return {
    holderIdentity: "",
    leaseDurationSeconds: 1,
    acquireTime: now,
    renewTime: now,
    leaseTransitions: transitionsOf(current),
  };
}
