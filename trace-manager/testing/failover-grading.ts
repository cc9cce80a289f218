/**
 * Test support: G4 across a store failover, graded from a second store client as the controller
 * reads the pod's reports. Every report of the pod is kept; after the failover the pod must turn
 * dirty with `store-lost-records`, held for maxTransactionAge, and never report clean before.
 */
import { expect } from "vitest";
import type { PodReport, TraceStore } from "../store/port.js";
import { eventually } from "./harness.js";

/** The pod's reports as a reader sees them, each new heartbeat kept once. */
export interface ReportTrail {
  /** Reads the pod's report now (undefined while the store cannot answer) and keeps it if new. */
  report(): Promise<PodReport | undefined>;
  /** Every distinct report read so far, in order. */
  readonly seen: readonly PodReport[];
}

/** Follows `pod`'s reports through `reader`. */
export function reportTrail(reader: Pick<TraceStore, "pods">, pod: string): ReportTrail {
  const seen: PodReport[] = [];
  return {
    seen,
    report: async () => {
      const r = (await reader.pods().catch(() => [])).find((p) => p.pod === pod);
      if (r !== undefined && seen.at(-1)?.heartbeatAt !== r.heartbeatAt) seen.push(r);
      return r;
    },
  };
}

/** Waits (up to 10 s) for a report naming `store-lost-records`; returns its heartbeat time. */
export async function lossReported(trail: ReportTrail): Promise<number> {
  let at: number | undefined;
  await eventually(
    async () => {
      const r = await trail.report();
      if (r?.dirtyReasons.includes("store-lost-records") === true) at = r.heartbeatAt;
      return at !== undefined;
    },
    10_000,
    50,
  );
  return at ?? 0;
}

/**
 * The loss seen at `lossAt` is held for `maxAgeMs`: its report says so, and once traffic has
 * stopped (`stopTraffic`) the pod turns clean only `maxAgeMs` after the loss, every report
 * from the failover (`killedAt`) until then dirty.
 */
export async function expectLossHeld(
  trail: ReportTrail,
  killedAt: number,
  lossAt: number,
  maxAgeMs: number,
  stopTraffic: () => Promise<void>,
): Promise<void> {
  const lossReport = trail.seen.find((r) => r.heartbeatAt === lossAt);
  expect(lossReport?.heldUntil).toBeGreaterThanOrEqual(lossAt + maxAgeMs - 1_000);
  await stopTraffic();
  await eventually(async () => (await trail.report())?.dirty === false, maxAgeMs + 15_000, 100);
  const afterKill = trail.seen.filter((r) => r.heartbeatAt > killedAt);
  const firstClean = afterKill.find((r) => !r.dirty);
  expect(firstClean).toBeDefined();
  expect((firstClean?.heartbeatAt ?? 0) - lossAt).toBeGreaterThanOrEqual(maxAgeMs - 1_000);
  expect(afterKill.filter((r) => r.heartbeatAt < (firstClean?.heartbeatAt ?? 0)).every((r) => r.dirty)).toBe(
    true,
  );
}
