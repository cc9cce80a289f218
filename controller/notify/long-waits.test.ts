/**
 * Long waits, on fake timers: a Waiting Event starts a timer of the threshold; when it fires,
 * the Upgrade is read back and notified once if it still waits on one reason since at least
 * the threshold. A wait that changed, ended, is the user's pause or a step's analysis
 * window, or belongs to an ended Upgrade is not notified.
 */
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConditionType, type Condition, type UpgradeStatus } from "../engine/types.js";
import { LongWaits } from "./long-waits.js";
import type { Notification } from "./notification.js";

const KEY = { namespace: "shop", name: "reviews-v2" };
const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 4, 21, 0, 0);

type Status = Pick<UpgradeStatus, "phase" | "conditions">;

const waiting = (reason: string, since: number, status: Condition["status"] = "True"): Condition => ({
  type: ConditionType.Waiting,
  status,
  reason,
  message: `waiting: ${reason}`,
  lastTransitionTime: since,
});

let status: Status;
let published: Notification[];
let lookups: number;
let waits: LongWaits;

const waitEvent = (at: number) => ({ type: "Normal" as const, reason: "Waiting", message: "m", at });

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
  published = [];
  lookups = 0;
  status = { phase: "Draining", conditions: [waiting("OldActive", T0)] };
  waits = new LongWaits({
    thresholdMs: 10 * MIN,
    lookup: () => {
      lookups += 1;
      return Promise.resolve(status);
    },
    publish: (n) => published.push(n),
    logger: pino({ level: "silent" }),
    clock: () => Date.now(),
  });
});
afterEach(() => {
  waits.stop();
  vi.useRealTimers();
});

describe("LongWaits", () => {
  it("notifies a wait that lasted the threshold, once", async () => {
    waits.observe(KEY, waitEvent(T0));
    await vi.advanceTimersByTimeAsync(10 * MIN - 1);
    expect(published).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(published).toEqual([
      {
        kind: "wait",
        upgrade: "reviews-v2",
        namespace: "shop",
        phase: "Draining",
        severity: "Warning",
        reason: "OldActive",
        message: "waiting: OldActive",
        at: T0 + 10 * MIN,
        waitedMs: 10 * MIN,
      },
    ]);
    // The same wait is not notified twice, even if its Event comes again.
    waits.observe(KEY, waitEvent(T0));
    await vi.advanceTimersByTimeAsync(20 * MIN);
    expect(published).toHaveLength(1);
  });

  it("times a newer wait from when it began, read back from the status", async () => {
    waits.observe(KEY, waitEvent(T0));
    status = { phase: "Draining", conditions: [waiting("PinsActive", T0 + 4 * MIN)] };
    await vi.advanceTimersByTimeAsync(10 * MIN);
    expect(published).toEqual([]);
    await vi.advanceTimersByTimeAsync(4 * MIN);
    expect(published.map((n) => [n.reason, n.waitedMs])).toEqual([["PinsActive", 10 * MIN]]);
  });

  it("restarts the timer when the wait changes reason", async () => {
    waits.observe(KEY, waitEvent(T0));
    await vi.advanceTimersByTimeAsync(6 * MIN);
    waits.observe(KEY, waitEvent(T0 + 6 * MIN));
    await vi.advanceTimersByTimeAsync(5 * MIN);
    expect(lookups).toBe(0);
  });

  it.each([
    ["the wait ended", { phase: "Draining", conditions: [waiting("OldActive", T0, "False")] }],
    ["the user paused it", { phase: "Draining", conditions: [waiting("Paused", T0)] }],
    ["it is a step's analysis window", { phase: "Shifting", conditions: [waiting("Analysing", T0)] }],
    ["the upgrade ended", { phase: "Succeeded", conditions: [waiting("OldActive", T0)] }],
  ] as const)("does not notify when %s", async (_what, now) => {
    waits.observe(KEY, waitEvent(T0));
    status = { phase: now.phase, conditions: [...now.conditions] };
    await vi.advanceTimersByTimeAsync(30 * MIN);
    expect(lookups).toBe(1);
    expect(published).toEqual([]);
  });

  it("clears the timer when the upgrade enters an ending phase", async () => {
    waits.observe(KEY, waitEvent(T0));
    waits.observe(KEY, { type: "Normal", reason: "Succeeded", message: "succeeded", at: T0 + MIN });
    await vi.advanceTimersByTimeAsync(30 * MIN);
    expect(lookups).toBe(0);
  });

  it("stops: no timer fires afterwards", async () => {
    waits.observe(KEY, waitEvent(T0));
    waits.stop();
    await vi.advanceTimersByTimeAsync(30 * MIN);
    expect(lookups).toBe(0);
  });
});
