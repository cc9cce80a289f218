import { describe, expect, it } from "vitest";
import { Harness, specFor } from "./testing/harness.js";
import { breakDown, WaitTerm, WORKING } from "./wait-log.js";
import type { WaitSegment } from "./types.js";

describe("the wait log (G3)", () => {
  it("records what the engine waited for from the cutover until old's removal was requested, and nothing before or after", () => {
    const h = new Harness(specFor());
    h.runUntil((x) => x.status.phase === "Shifting" && x.status.weight === 50);
    expect(h.status.engine.waitLog ?? []).toEqual([]);
    h.runUntil((x) => x.status.phase === "Succeeded");
    const log = h.status.engine.waitLog ?? [];
    const reasons = log.map((s) => s.reason);
    expect(reasons).toContain("Settling");
    expect(reasons).toContain("Grace");
    expect(reasons.at(-1)).toBe("ScalingOld");
    // Consecutive, non-overlapping, closed once the removal was requested.
    for (let i = 1; i < log.length; i++) expect(log[i]!.since).toBe(log[i - 1]!.since + log[i - 1]!.ms);
    expect(log.some((s) => s.open === true)).toBe(false);
    const finalizingAt = h.status.history.find((x) => x.phase === "Finalizing")?.at ?? 0;
    expect(log.at(-1)!.since).toBeGreaterThanOrEqual(finalizingAt);
    // Each segment is one reason held over consecutive ticks: no two neighbours share it.
    expect(reasons.every((r, i) => i === 0 || reasons[i - 1] !== r)).toBe(true);
  });

  it("tells clean pods that only have to certify an instant from dirty ones", () => {
    const clean = new Harness(specFor());
    clean.runUntil((x) => x.status.phase === "Succeeded");
    const cleanReasons = new Set((clean.status.engine.waitLog ?? []).map((s) => s.reason));
    expect(cleanReasons.has("Certifying")).toBe(true);
    expect(cleanReasons.has("DirtyPods") || cleanReasons.has("GatewaysNotClean")).toBe(false);

    const h = new Harness(specFor());
    h.runUntil((x) => x.status.phase === "Draining");
    h.pod("gw-1").dirty = true;
    for (let i = 0; i < 6; i++) h.tick();
    expect(h.condition("Waiting")).toMatchObject({ reason: "GatewaysNotClean" });
    h.pod("gw-1").dirty = false;
    h.runUntil((x) => x.status.phase === "Succeeded");
    const reasons = new Set((h.status.engine.waitLog ?? []).map((s) => s.reason));
    expect(reasons.has("GatewaysNotClean")).toBe(true);
  });
});

describe("breakDown", () => {
  const log: WaitSegment[] = [
    { reason: "Grace", since: 1_000, ms: 500 },
    { reason: "OldActive", since: 1_500, ms: 1_000 },
    { reason: "Settling", since: 2_500, ms: 1_000 },
    { reason: WORKING, since: 3_500, ms: 250 },
    { reason: "Settling", since: 3_750, ms: 1_000 },
    { reason: "Unconfirmed", since: 4_750, ms: 750 },
  ];

  it("splits a stretch of time by term, cutting the segments at its ends", () => {
    const b = breakDown(log, 2_000, 5_000);
    expect(b.totalMs).toBe(3_000);
    expect(b.ms).toEqual({
      [WaitTerm.OldCalls]: 500,
      [WaitTerm.Settle]: 2_000,
      [WaitTerm.Working]: 250,
      [WaitTerm.Confirmations]: 250,
    });
    expect(b.segments[WaitTerm.Settle]).toBe(2);
  });

  it("counts the time the log does not cover as other", () => {
    const b = breakDown(log, 0, 1_500);
    expect(b.ms).toEqual({ [WaitTerm.Other]: 1_000, [WaitTerm.Grace]: 500 });
  });
});
