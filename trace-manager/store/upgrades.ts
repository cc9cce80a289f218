import { TraceStoreError } from "./errors.js";
import { assertName, assertTime } from "./names.js";
import type { ActiveUpgrade, TraceStore } from "./port.js";

/** What the controller passes to `putUpgrade`. */
export type UpgradeInput = Parameters<TraceStore["putUpgrade"]>[0];

/** Rejects an upgrade that must not be stored: a bad id, a weight outside 0..100, a bad time. */
export function assertUpgrade(u: UpgradeInput): void {
  assertName("putUpgrade", "upgrade", u.id);
  assertTime("putUpgrade", "at", u.at);
  if (u.weightVersion !== undefined && (!Number.isInteger(u.weightVersion) || u.weightVersion < 0)) {
    throw new TraceStoreError(
      "invalid-argument",
      "putUpgrade",
      `upgrade ${u.id}: weightVersion ${u.weightVersion} is not a non-negative integer`,
    );
  }
  if (!Number.isInteger(u.weight) || u.weight < 0 || u.weight > 100) {
    throw new TraceStoreError(
      "invalid-argument",
      "putUpgrade",
      `upgrade ${u.id}: weight ${u.weight} is not an integer in 0..100`,
    );
  }
}

/**
 * The upgrade as stored after `putUpgrade`. Without an explicit weightVersion it starts at 1 and
 * is bumped only when the weight changes, so writing the same spec twice is a no-op for the
 * gateways. With one, it is stored as given, and a write older than the stored one changes
 * nothing (returns the stored upgrade).
 */
export function nextUpgrade(previous: ActiveUpgrade | undefined, u: UpgradeInput): ActiveUpgrade {
  let weightVersion = 1;
  if (u.weightVersion !== undefined) {
    if (previous !== undefined && previous.weightVersion > u.weightVersion) return previous;
    weightVersion = u.weightVersion;
  } else if (previous !== undefined) {
    weightVersion = previous.weight === u.weight ? previous.weightVersion : previous.weightVersion + 1;
  }
  return {
    id: u.id,
    hosts: [...u.hosts],
    weight: u.weight,
    weightVersion,
    watchEpochs: u.watchEpochs,
    updatedAt: u.at,
  };
}

/** Validates what a pod report puts into keys. */
export function assertPodReport(r: {
  pod: string;
  service: string;
  version: string;
  heartbeatAt: number;
}): void {
  assertName("reportPod", "pod", r.pod);
  assertName("reportPod", "service", r.service);
  assertName("reportPod", "version", r.version);
  assertTime("reportPod", "heartbeatAt", r.heartbeatAt);
}
