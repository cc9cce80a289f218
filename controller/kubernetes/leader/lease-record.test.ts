import { V1MicroTime, type V1Lease } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_ELECTION_TIMINGS,
  electionTimingProblems,
  leaseDurationSeconds,
} from "./election-timings.js";
import { ElectionTimingsError, LeaseElector } from "./lease-election.js";
import { claimSpec, holderOf, promisedDurationMs, releasedSpec } from "./lease-record.js";
import { KubeConfig } from "@kubernetes/client-node";

const held = (holder: string, transitions: number): V1Lease => ({
  metadata: { name: "l", resourceVersion: "7" },
  spec: {
    holderIdentity: holder,
    leaseDurationSeconds: 15,
    acquireTime: "2026-01-01T00:00:00.000000Z" as unknown as V1MicroTime,
    renewTime: "2026-01-01T00:00:10.000000Z" as unknown as V1MicroTime,
    leaseTransitions: transitions,
  },
});

describe("the Lease record", () => {
  const now = Date.UTC(2026, 0, 1, 0, 1);

  it("creates a record held by us with no transition yet", () => {
    const spec = claimSpec(undefined, "me", 15, now);
    expect(spec).toMatchObject({ holderIdentity: "me", leaseDurationSeconds: 15, leaseTransitions: 0 });
    expect(spec.renewTime).toBeInstanceOf(V1MicroTime);
    expect(spec.renewTime?.toISOString()).toBe("2026-01-01T00:01:00.000000Z");
  });

  it("takes over another holder's record with a new acquireTime and one more transition", () => {
    const spec = claimSpec(held("other", 3), "me", 15, now);
    expect(spec.leaseTransitions).toBe(4);
    expect(spec.acquireTime?.toISOString()).toBe("2026-01-01T00:01:00.000000Z");
  });

  it("renews its own record keeping acquireTime and the transitions", () => {
    const spec = claimSpec(held("me", 3), "me", 15, now);
    expect(spec.leaseTransitions).toBe(3);
    expect(String(spec.acquireTime)).toBe("2026-01-01T00:00:00.000000Z");
    expect(spec.renewTime?.toISOString()).toBe("2026-01-01T00:01:00.000000Z");
  });

  it("releases to no holder with a one-second duration, keeping the transitions", () => {
    const spec = releasedSpec(held("me", 3), now);
    expect(spec).toMatchObject({ holderIdentity: "", leaseDurationSeconds: 1, leaseTransitions: 3 });
    expect(holderOf({ spec })).toBe("");
    expect(promisedDurationMs({ spec }, 15_000)).toBe(1_000);
    expect(promisedDurationMs({ spec: {} }, 15_000)).toBe(15_000);
  });
});

describe("election timings", () => {
  it("accepts client-go's defaults and rounds the Lease's seconds up", () => {
    expect(electionTimingProblems(DEFAULT_ELECTION_TIMINGS)).toEqual([]);
    expect(leaseDurationSeconds(4_500)).toBe(5);
  });

  it.each([
    [
      { leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
      /renew deadline must be shorter/,
    ],
    [
      { leaseDurationMs: 15_000, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 },
      /retry period must be shorter/,
    ],
    [{ leaseDurationMs: 500, renewDeadlineMs: 300, retryPeriodMs: 100 }, /at least 1s/],
    [{ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 0 }, /must be positive/],
  ])("refuses %o", (timings, problem) => {
    expect(electionTimingProblems(timings).join("; ")).toMatch(problem);
    expect(() => new LeaseElector({ kc: new KubeConfig(), namespace: "n", name: "l", ...timings })).toThrow(
      ElectionTimingsError,
    );
  });
});
