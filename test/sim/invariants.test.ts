import { describe, expect, it } from "vitest";
import type { ControllerJournal } from "./controller-loop.js";
import { checkInvariants, g3Bound, measureG3 } from "./invariants.js";
import { drawScenario } from "./scenario.js";
import {
  createGroundTruth,
  recordFailure,
  recordServe,
  type GroundTruth,
  type TxnTruth,
} from "./world/ground-truth.js";

const settings = { settleMs: 1_000, graceMs: 1_000, pinIdleMs: 3_000 };
const scenario = drawScenario(1, { laggardExtraMs: 500, tickMs: 500, heartbeatMs: 1_000 });

function journal(over: Partial<ControllerJournal> = {}): ControllerJournal {
  return {
    ticks: 1,
    restarts: 0,
    executions: 0,
    duplicates: [],
    lost: [],
    phases: [],
    terminalAt: 100,
    lastStatus: null,
    close: () => undefined,
    ...over,
  };
}

function txn(kind: "ingress" | "bypass"): TxnTruth {
  return {
    id: "t",
    kind,
    startAt: 0,
    endAt: 1,
    enrolled: false,
    versions: new Map(),
    mixed: false,
    failed: null,
    appError: false,
  };
}

function clean(): GroundTruth {
  const t = createGroundTruth();
  t.lastCallEnd.set("v1", 10_000);
  t.cutoverAt = 9_000;
  t.oldRemovalStartedAt = 12_000;
  t.oldUnlistedAt = 14_000;
  return t;
}

describe("g3Bound", () => {
  it("adds observation, settle, ALS flush, two confirmed pushes with grace and endpoint removal", () => {
    const b = g3Bound(scenario, settings);
    const push = scenario.push.cap + 500 + 1_000 + 500 + 1_000;
    expect(b.confirmedPushMs).toBe(push);
    expect(b.totalMs).toBe(1_500 + 1_000 + scenario.alsFlushMs + 2 * push + scenario.endpointLag.cap);
  });

  it("measures from the last moment old was needed to the moment no proxy lists it", () => {
    const m = measureG3(scenario, settings, clean())!;
    expect(m.lastNeededAt).toBe(10_000);
    expect(m.measuredMs).toBe(4_000);
    const pinned = clean();
    pinned.pinsWritten = true;
    expect(measureG3(scenario, settings, pinned)!.bound.extrasMs).toBe(3_000);
  });
});

describe("checkInvariants", () => {
  it("passes a clean run", () => {
    expect(checkInvariants(scenario, settings, clean(), journal(), "Succeeded", "Succeeded")).toEqual([]);
  });

  it.each<[string, (t: GroundTruth) => void, ControllerJournal, string, RegExp]>([
    [
      "a mixed ingress transaction",
      (t) => {
        const x = txn("ingress");
        recordServe(t, x, "order", "v1");
        recordServe(t, x, "order", "v2");
      },
      journal(),
      "Succeeded",
      /^G1/,
    ],
    [
      "a routing failure",
      (t) => recordFailure(t, txn("ingress"), "NC", "NC at x"),
      journal(),
      "Succeeded",
      /^G2: 1 routing failure/,
    ],
    [
      "a call to a terminating pod",
      (t) => {
        t.routedToRemoved = 1;
      },
      journal(),
      "Succeeded",
      /^G2: 1 call\(s\) routed/,
    ],
    [
      "a call cut off",
      (t) => {
        t.killedInFlight = 2;
      },
      journal(),
      "Succeeded",
      /^G2: 2 call\(s\) cut off/,
    ],
    [
      "old removed before its last call",
      (t) => {
        t.lastCallEnd.set("v1", 13_000);
      },
      journal(),
      "Succeeded",
      /^G3: old removed at 12000 before/,
    ],
    [
      "removal past the bound",
      (t) => {
        t.oldUnlistedAt = 1_000_000;
      },
      journal(),
      "Succeeded",
      /^G3: old removed \d+ ms after/,
    ],
    ["a duplicate action", () => undefined, journal({ duplicates: ["k"] }), "Succeeded", /^G5: duplicate/],
    ["a lost action", () => undefined, journal({ lost: ["k"] }), "Succeeded", /^G5: lost/],
    ["no termination", () => undefined, journal({ terminalAt: null }), "Draining", /^termination/],
    ["the wrong outcome", () => undefined, journal(), "RolledBack", /^outcome/],
  ])("flags %s", (_name, mutate, j, phase, pattern) => {
    const t = clean();
    mutate(t);
    const v = checkInvariants(scenario, settings, t, j, phase, "Succeeded");
    expect(
      v.some((line) => pattern.test(line)),
      v.join("\n"),
    ).toBe(true);
  });

  it("counts bypass mixing without failing the run (best effort)", () => {
    const t = clean();
    const x = txn("bypass");
    recordServe(t, x, "order", "v1");
    recordServe(t, x, "order", "v2");
    expect(t.mixedBypass).toBe(1);
    expect(checkInvariants(scenario, settings, t, journal(), "Succeeded", "Succeeded")).toEqual([]);
  });
});
