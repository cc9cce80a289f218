/**
 * The dashboard's phase timeline: history folded into phases with the time spent in each.
 */
import { describe, expect, it } from "vitest";
import type { Phase } from "../engine/phases.js";
import { entry, viewOf } from "./testing/view.js";
import { phaseSymbol, phaseTimeline, phaseTone } from "./timeline.js";

describe("phaseTimeline", () => {
  it("merges consecutive entries of a phase and measures each phase until the next began", () => {
    const view = viewOf({
      phase: "Draining",
      history: [
        entry(0, "Validating"),
        entry(1, "Preparing"),
        entry(2, "Preparing"),
        entry(4, "Shifting"),
        entry(6, "Shifting"),
        entry(10, "Draining"),
      ],
    });
    expect(phaseTimeline(view, 13_000)).toEqual([
      { phase: "Validating", startedAt: 0, endedAt: 1_000, ms: 1_000, current: false },
      { phase: "Preparing", startedAt: 1_000, endedAt: 4_000, ms: 3_000, current: false },
      { phase: "Shifting", startedAt: 4_000, endedAt: 10_000, ms: 6_000, current: false },
      { phase: "Draining", startedAt: 10_000, endedAt: null, ms: 3_000, current: true },
    ]);
  });

  it("a terminal phase is an instant, and ends the timeline", () => {
    const view = viewOf({
      phase: "RolledBack",
      history: [
        entry(0, "Validating"),
        entry(1, "Shifting"),
        entry(5, "RollingBack"),
        entry(9, "RolledBack"),
      ],
    });
    const t = phaseTimeline(view, 60_000);
    expect(t.map((s) => [s.phase, s.ms, s.current])).toEqual([
      ["Validating", 1_000, false],
      ["Shifting", 4_000, false],
      ["RollingBack", 4_000, false],
      ["RolledBack", 0, true],
    ]);
    expect(t.at(-1)?.endedAt).toBe(9_000);
  });

  it("a current phase the bounded history no longer names starts now; a trimmed history starts at its first entry", () => {
    const view = viewOf({ phase: "Finalizing", history: [entry(20, "Draining")] }, {}, 0);
    expect(phaseTimeline(view, 30_000)).toEqual([
      { phase: "Draining", startedAt: 20_000, endedAt: 30_000, ms: 10_000, current: false },
      { phase: "Finalizing", startedAt: 30_000, endedAt: null, ms: 0, current: true },
    ]);
  });

  it("Validating starts at the creation when the first entry is later", () => {
    const view = viewOf({ phase: "Validating", history: [entry(2, "Validating")] }, {}, 0);
    expect(phaseTimeline(view, 5_000)[0]).toMatchObject({ startedAt: 0, ms: 5_000 });
  });
});

describe("phase markers", () => {
  it("give every ending its own symbol and tone, so that colour is never the only cue", () => {
    const phases: Phase[] = ["Succeeded", "RolledBack", "Failed", "RollingBack", "Shifting"];
    expect(phases.map(phaseSymbol)).toEqual(["✓", "↺", "✗", "↶", "•"]);
    const ends: Phase[] = ["Succeeded", "Failed", "RolledBack", "Draining"];
    expect(ends.map(phaseTone)).toEqual(["ok", "bad", "warn", "busy"]);
  });
});
