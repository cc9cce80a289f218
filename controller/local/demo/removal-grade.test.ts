import { describe, expect, it } from "vitest";
import { busyStatus, recordWith } from "../../ports/testing/upgrade-fixtures.js";
import type { UpgradeRecord } from "../../ports/upgrade-store.js";
import { demoTimings } from "./demo-settings.js";
import { removalBound } from "./g3-bound.js";
import { gradeRemovals } from "./removal-grade.js";
import { breakDown } from "../../engine/wait-log.js";
import type { WaitSegment } from "../../engine/types.js";

const T = demoTimings(true);
const inputs = T.bound.inputs;

/** A drain from the cutover at 10 s: confirmations, grace, old calls, certifying, settle, removal. */
const LOG: WaitSegment[] = [
  { reason: "Unconfirmed", since: 10_000, ms: 1_200 },
  { reason: "Grace", since: 11_200, ms: 500 },
  { reason: "OldActive", since: 11_700, ms: 1_000 },
  { reason: "Certifying", since: 12_700, ms: 250 },
  { reason: "Settling", since: 12_950, ms: 1_000 },
  { reason: "ScalingOld", since: 13_950, ms: 250 },
];

function drained(log: readonly WaitSegment[], cutoverAt = 10_000): UpgradeRecord {
  const status = busyStatus();
  return recordWith({
    ...status,
    engine: {
      ...status.engine,
      waitLog: log,
      instants: { ...status.engine.instants, cutoverAt, tranquilAt: 13_950 },
    },
  });
}

describe("a removal's G3 bound", () => {
  it("is the controller's budget for the windows it passed through, plus the measured waits it does not control", () => {
    const bound = removalBound(inputs, breakDown(LOG, 10_000, 14_100));
    expect(bound.uncontrolled).toEqual({ confirmations: 1_200, dirtyPods: 0, paused: 0, lateTicks: 0 });
    expect(bound.budget).toEqual({
      observation: inputs.reconcileIntervalMs + inputs.heartbeatMs,
      alsFlush: inputs.alsFlushMs,
      settleWindows: inputs.settleMs,
      gracePeriods: inputs.graceMs,
      pinIdle: 0,
      certifications: inputs.heartbeatMs + inputs.watermarkLagMs,
      ticks: 6 * inputs.reconcileIntervalMs,
    });
    expect(bound.totalMs).toBe(bound.budgetMs + 1_200);
  });

  it("counts every settle window and adds the pin idle time once pins were waited for", () => {
    const log: WaitSegment[] = [
      { reason: "Settling", since: 0, ms: 1_000 },
      { reason: "OldActive", since: 1_000, ms: 500 },
      { reason: "Settling", since: 1_500, ms: 1_000 },
      { reason: "PinsActive", since: 2_500, ms: 2_000 },
    ];
    const bound = removalBound(inputs, breakDown(log, 0, 4_500));
    expect(bound.budget.settleWindows).toBe(2 * inputs.settleMs);
    expect(bound.budget.pinIdle).toBe(inputs.pinIdleMs + inputs.reconcileIntervalMs + inputs.heartbeatMs);
  });

  it("counts ticks that came later than the reconcile interval as the machine's, not the controller's", () => {
    const interval = inputs.reconcileIntervalMs;
    const log: WaitSegment[] = [
      { reason: "Settling", since: 0, ms: 4 * interval, ticks: 4 },
      // Two ticks over five intervals: three intervals late.
      { reason: "OldActive", since: 4 * interval, ms: 5 * interval, ticks: 2 },
    ];
    const bound = removalBound(inputs, breakDown(log, 0, 9 * interval));
    expect(bound.uncontrolled.lateTicks).toBe(3 * interval);
  });
});

describe("gradeRemovals", () => {
  it("measures from the later of the last served request and the cutover, and breaks the time down", () => {
    const [g] = gradeRemovals(
      [
        {
          service: "auth-service",
          version: "v1",
          requestedAt: 14_100,
          stoppedAt: 14_300,
          lastServedAt: 9_000,
        },
      ],
      T.bound,
      [drained(LOG)],
    );
    expect(g).toMatchObject({ afterLastServedMs: 5_100, afterLastNeededMs: 4_100, withinBound: true });
    expect(g?.waited).toMatchObject({ confirmations: 1_200, grace: 500, oldCalls: 1_000, settle: 1_000 });
    expect(g?.bound?.totalMs).toBeGreaterThan(4_100);
  });

  it("fails a removal whose drain overran the controller's own budget", () => {
    // The old calls took 9 s to be reported ended after the last served request.
    const slow: WaitSegment[] = [
      { reason: "OldActive", since: 10_000, ms: 9_000 },
      ...LOG.slice(4).map((s) => ({ ...s, since: s.since + 6_050 })),
    ];
    const [g] = gradeRemovals(
      [
        {
          service: "auth-service",
          version: "v1",
          requestedAt: 20_150,
          stoppedAt: 20_300,
          lastServedAt: 10_500,
        },
      ],
      T.bound,
      [drained(slow)],
    );
    expect(g?.afterLastNeededMs).toBe(9_650);
    expect(g?.withinBound).toBe(false);
  });

  it("fails a removal before the last served request, whatever the bound", () => {
    const [g] = gradeRemovals(
      [
        {
          service: "auth-service",
          version: "v1",
          requestedAt: 14_100,
          stoppedAt: 14_300,
          lastServedAt: 14_200,
        },
      ],
      T.bound,
      [drained(LOG)],
    );
    expect(g?.withinBound).toBe(false);
  });

  it("falls back to DESIGN's bound without the upgrade's wait log", () => {
    const [g] = gradeRemovals(
      [
        {
          service: "auth-service",
          version: "v1",
          requestedAt: 14_100,
          stoppedAt: 14_300,
          lastServedAt: 9_000,
        },
      ],
      T.bound,
      [],
    );
    expect(g).toMatchObject({ bound: null, boundMs: T.bound.totalMs, withinBound: true });
  });
});
