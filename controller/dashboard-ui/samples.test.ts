/**
 * The traffic chart's data: one sample per change of weight or activity, and step-shaped
 * paths scaled to the chart's box.
 */
import { describe, expect, it } from "vitest";
import { addSample, chartGeometry, MAX_SAMPLES, type Sample } from "./samples.js";
import { viewOf } from "./testing/view.js";

describe("addSample", () => {
  it("adds a sample when the weight or the old activity changes, and not otherwise", () => {
    let samples: readonly Sample[] = [];
    samples = addSample(samples, viewOf({ weight: 0, activeOld: 4 }), 1_000);
    samples = addSample(
      samples,
      viewOf({ weight: 0, activeOld: 4, confirmed: { ready: 3, total: 4 } }),
      2_000,
    );
    samples = addSample(samples, viewOf({ weight: 50, activeOld: 4 }), 3_000);
    samples = addSample(samples, viewOf({ weight: 50, activeOld: 1 }), 4_000);
    samples = addSample(
      samples,
      viewOf({
        weight: 50,
        activeOld: 1,
        versions: [
          {
            service: "a",
            version: "v2",
            role: "new",
            activeCalls: 3,
            activeTransactions: 2,
            oldestActiveAgeSeconds: 1,
          },
          {
            service: "b",
            version: "v2",
            role: "new",
            activeCalls: 1,
            activeTransactions: 1,
            oldestActiveAgeSeconds: 1,
          },
          {
            service: "a",
            version: "v1",
            role: "old",
            activeCalls: 1,
            activeTransactions: 1,
            oldestActiveAgeSeconds: 1,
          },
        ],
      }),
      5_000,
    );
    expect(samples).toEqual([
      { at: 1_000, weight: 0, activeOld: 4, activeNew: 0 },
      { at: 3_000, weight: 50, activeOld: 4, activeNew: 0 },
      { at: 4_000, weight: 50, activeOld: 1, activeNew: 0 },
      // The new versions' transactions, summed over the train's members.
      { at: 5_000, weight: 50, activeOld: 1, activeNew: 3 },
    ]);
  });

  it(`keeps the newest ${MAX_SAMPLES}`, () => {
    let samples: readonly Sample[] = [];
    for (let i = 0; i < MAX_SAMPLES + 10; i++) samples = addSample(samples, viewOf({ activeOld: i }), i);
    expect(samples).toHaveLength(MAX_SAMPLES);
    expect(samples[0]?.activeOld).toBe(10);
    expect(samples.at(-1)?.activeOld).toBe(MAX_SAMPLES + 9);
  });
});

describe("chartGeometry", () => {
  it("draws the new share from the bottom, the old share above it, and old activity scaled to its maximum", () => {
    const samples: Sample[] = [
      { at: 0, weight: 0, activeOld: 2, activeNew: 0 },
      { at: 5_000, weight: 50, activeOld: 4, activeNew: 1 },
      { at: 10_000, weight: 100, activeOld: 0, activeNew: 3 },
    ];
    const g = chartGeometry(samples, 20_000, 200, 100);
    expect(g.maxActive).toBe(4);
    expect(g.spanSeconds).toBe(20);
    expect(g.newShare).toBe("M0,100 L0,100 L50,100 L50,50 L100,50 L100,0 L200,0 L200,100 Z");
    expect(g.oldShare).toBe("M0,0 L0,100 L50,100 L50,50 L100,50 L100,0 L200,0 L200,0 Z");
    expect(g.activeLine).toBe("M0,50 L50,50 L50,0 L100,0 L100,100 L200,100");
    expect(g.activeNewLine).toBe("M0,100 L50,100 L50,75 L100,75 L100,25 L200,25");
  });

  it("is empty without samples", () => {
    expect(chartGeometry([], 1, 10, 10)).toEqual({
      newShare: "",
      oldShare: "",
      activeLine: "",
      activeNewLine: "",
      maxActive: 1,
      spanSeconds: 0,
    });
  });
});
