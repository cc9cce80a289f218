/**
 * Which Events become which notifications: the reconciler's PhaseChanged Events, classified
 * as phase, rollback or abort; every other Event (the engine's own phase Events, Waiting,
 * refused commands, a malformed message) makes none.
 */
import { describe, expect, it } from "vitest";
import type { UpgradeEventNote } from "../ports/events.js";
import { notificationOfEvent } from "./notification-of-event.js";

const KEY = { namespace: "shop", name: "reviews-v2" };
const AT = Date.UTC(2026, 11, 4, 21, 0, 0);

const note = (
  message: string,
  type: "Normal" | "Warning" = "Normal",
  reason = "PhaseChanged",
): UpgradeEventNote => ({
  type,
  reason,
  message,
  at: AT,
});

describe("notificationOfEvent", () => {
  it.each([
    ["Validating → Preparing", "Normal", "phase", "Preparing", "Validating"],
    ["Draining → Finalizing", "Normal", "phase", "Finalizing", "Draining"],
    ["Finalizing → Succeeded", "Normal", "phase", "Succeeded", "Finalizing"],
    ["Preparing → Failed: new never became Ready", "Warning", "phase", "Failed", "Preparing"],
    [
      "Shifting → RollingBack: analysis failed: error rate 7% > 1%",
      "Warning",
      "rollback",
      "RollingBack",
      "Shifting",
    ],
    [
      "RollingBack → RolledBack: analysis failed: error rate 7% > 1%",
      "Warning",
      "rollback",
      "RolledBack",
      "RollingBack",
    ],
    ["Shifting → RollingBack: aborted by the user", "Warning", "abort", "RollingBack", "Shifting"],
    ["RollingBack → RolledBack: aborted by the user", "Warning", "abort", "RolledBack", "RollingBack"],
  ] as const)("%s is a %s notification", (message, type, kind, phase, previousPhase) => {
    expect(notificationOfEvent(KEY, note(message, type))).toEqual({
      kind,
      upgrade: "reviews-v2",
      namespace: "shop",
      phase,
      previousPhase,
      severity: type,
      reason: "PhaseChanged",
      message,
      at: AT,
    });
  });

  it.each([
    ["the engine's own phase Event", note("rolling back: aborted by the user", "Warning", "RollingBack")],
    ["a Waiting Event", note("calls still active at reviews@v1", "Normal", "Waiting")],
    ["a refused abort", note("abort refused: the upgrade has succeeded", "Warning", "AbortRefused")],
    ["a phase change naming no phase", note("Shifting → Sideways")],
    ["a phase change without an arrow", note("Shifting to Draining")],
  ])("%s makes none", (_what, event) => {
    expect(notificationOfEvent(KEY, event)).toBeUndefined();
  });
});
