/**
 * The drain ETA shown while Draining (ADR 0051), as a table.
 */
import { describe, expect, it } from "vitest";
import type { UpgradeView } from "../api/view.js";
import { initialStatus } from "../engine/status.js";
import { drainEta } from "./drain-eta.js";

function view(status: Partial<UpgradeView["status"]>, drain?: Record<string, string>): UpgradeView {
  const { engine, ...base } = initialStatus(0);
  return {
    name: "u",
    namespace: "default",
    enrolmentId: "u-000000",
    spec: { services: [{ name: "s", from: "v1", to: "v2" }], ...(drain ? { drain } : {}) },
    status: { ...base, stage: engine.stage, pendingCommands: 0, phase: "Draining", ...status },
    resourceVersion: "1",
    createdAt: new Date(0).toISOString(),
  };
}

describe("drainEta", () => {
  it.each([
    ["not Draining", view({ phase: "Shifting" }), undefined],
    ["nothing active: the settle window", view({}), "~2s (settle window)"],
    ["the spec's settle", view({}, { settle: "500ms" }), "~500ms (settle window)"],
    [
      "old transactions active: maxTransactionAge − oldest age + settle",
      view({ activeOld: 3, oldestActiveAgeSeconds: 30 }, { maxTransactionAge: "2m", settle: "5s" }),
      "≤ 1m35s (oldest old transaction 30s of max 2m00s, then settle 5s)",
    ],
    [
      "an old transaction past maxTransactionAge: settle only",
      view({ activeOld: 1, oldestActiveAgeSeconds: 900 }),
      "≤ 2s (oldest old transaction 15m00s of max 10m00s, then settle 2s)",
    ],
    [
      "pins only: pin idle time + settle",
      view({ pinned: 2 }),
      "~32s (pins end after 30s idle, then settle 2s)",
    ],
    [
      "dirty pods",
      view({ activeOld: 1, dirtyPods: ["gw-0"] }),
      "unknown until the dirty pods are certified clean",
    ],
  ])("%s", (_name, v, expected) => {
    expect(drainEta(v)).toBe(expected);
  });
});
