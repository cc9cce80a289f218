/**
 * The CLI's text helpers: rounded percentages in the controller's messages, the reason a
 * rollback started, and an upgrade's duration from its status history.
 */
import { describe, expect, it } from "vitest";
import type { UpgradeView } from "../api/view.js";
import { rollbackReason, roundPercentages, upgradeDurationSeconds } from "./format.js";

describe("roundPercentages", () => {
  it.each([
    ["success rate 42.857142857142854% < 99%", "success rate 42.9% < 99%"],
    ["99.999% of 100%", "100% of 100%"],
    ["weight 10%: analysing", "weight 10%: analysing"],
    ["p99 0.25% and 7.05%", "p99 0.3% and 7.1%"],
    ["no percentages, 3.14159", "no percentages, 3.14159"],
  ])("%j → %j", (text, rounded) => {
    expect(roundPercentages(text)).toBe(rounded);
  });
});

const view = (phase: string, history: [number, string, string][]): UpgradeView =>
  ({
    name: "u",
    createdAt: new Date(1_000_000).toISOString(),
    status: {
      phase,
      conditions: [],
      history: history.map(([at, p, message]) => ({ at, phase: p, stage: "done", message })),
    },
  }) as unknown as UpgradeView;

describe("rollbackReason", () => {
  it("is the reason the rollback started with, rounded", () => {
    expect(
      rollbackReason(
        view("RolledBack", [
          [1_000_000, "Validating", "upgrade created"],
          [
            1_010_000,
            "RollingBack",
            "rolling back: analysis failed: a@v2: success rate 42.857142857142854% < 99%",
          ],
          [1_020_000, "RolledBack", "rolled back"],
        ]),
      ),
    ).toBe("analysis failed: a@v2: success rate 42.9% < 99%");
  });

  it("is undefined when the upgrade never rolled back", () => {
    expect(rollbackReason(view("Shifting", [[1_000_000, "Validating", "upgrade created"]]))).toBeUndefined();
  });
});

describe("upgradeDurationSeconds", () => {
  it("runs to the first entry of the final phase once the upgrade ended", () => {
    const ended = view("Succeeded", [
      [1_000_000, "Validating", "upgrade created"],
      [1_060_000, "Finalizing", "finalizing"],
      [1_068_000, "Succeeded", "done"],
      [1_090_000, "Succeeded", "a later note"],
    ]);
    expect(upgradeDurationSeconds(ended, 1_215_000)).toBe(68);
  });

  it("runs to now while the upgrade runs", () => {
    const running = view("Shifting", [
      [1_000_000, "Validating", "upgrade created"],
      [1_010_000, "Shifting", "x"],
    ]);
    expect(upgradeDurationSeconds(running, 1_215_000)).toBe(215);
  });
});
