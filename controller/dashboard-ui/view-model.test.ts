/**
 * What the dashboard says: list rows, the verbs' buttons, enrolment steps, confirmations,
 * drain, and analysis verdicts collected as they arrive.
 */
import { describe, expect, it } from "vitest";
import { entry, viewOf } from "./testing/view.js";
import {
  collectAnalysis,
  confirmations,
  drain,
  endReason,
  enrolment,
  eventRows,
  historyRows,
  hrefOf,
  listRows,
  parseHref,
  verbButtons,
  verbOutcome,
  versionRows,
} from "./view-model.js";

const analysed = (status: "True" | "False", message: string, at: number) =>
  viewOf({
    conditions: [
      {
        type: "Analysis",
        status,
        reason: status === "True" ? "Passed" : "Failed",
        message,
        lastTransitionTime: at,
      },
    ],
  });

describe("listRows", () => {
  it("shows name, namespace, services, phase (paused marked), weight and age, newest first", () => {
    const older = { ...viewOf({ phase: "Succeeded", weight: 100 }, {}, 0), name: "auth-v2" };
    const newer = {
      ...viewOf({ phase: "Shifting", weight: 50 }, { paused: true }, 60_000),
      name: "train",
      namespace: "shop",
    };
    expect(listRows([older, newer], 125_000)).toEqual([
      {
        name: "train",
        namespace: "shop",
        services: "auth-service v1→v2",
        phase: "Shifting (paused)",
        weight: "50%",
        age: "1m05s",
        href: "#/shop/train",
      },
      {
        name: "auth-v2",
        namespace: "default",
        services: "auth-service v1→v2",
        phase: "Succeeded",
        weight: "100%",
        age: "2m05s",
        href: "#/default/auth-v2",
      },
    ]);
  });
});

describe("hrefOf / parseHref", () => {
  it("round-trips a namespace and a name, and gives undefined for anything else", () => {
    expect(parseHref(hrefOf({ namespace: "shop", name: "auth-v2" }))).toEqual({
      namespace: "shop",
      name: "auth-v2",
    });
    expect(parseHref("#/")).toBeUndefined();
    expect(parseHref("")).toBeUndefined();
    expect(parseHref("#/a/b/c")).toBeUndefined();
    expect(parseHref("#/%E0%A4%A/x")).toBeUndefined();
  });
});

describe("verbButtons", () => {
  it("while Shifting: pause, promote and abort can be pressed; abort asks first, naming what it rolls back to", () => {
    const buttons = verbButtons(viewOf({ phase: "Shifting" }));
    expect(buttons.map((b) => [b.verb, b.enabled])).toEqual([
      ["pause", true],
      ["resume", false],
      ["promote", true],
      ["abort", true],
    ]);
    const abort = buttons.find((b) => b.verb === "abort");
    expect(abort?.confirm).toBe("Abort upgrade default/u and roll it back to auth-service v1?");
    expect(abort?.says).toContain("Rolls the upgrade back");
  });

  it("paused: resume instead of pause", () => {
    const buttons = verbButtons(viewOf({ phase: "Shifting" }, { paused: true }));
    expect(buttons.filter((b) => b.enabled).map((b) => b.verb)).toEqual(["resume", "promote", "abort"]);
  });

  it("in Finalizing abort still asks, and says the controller will refuse it", () => {
    const abort = verbButtons(viewOf({ phase: "Finalizing" })).find((b) => b.verb === "abort");
    expect(abort?.enabled).toBe(true);
    expect(abort?.says).toContain("refuses once Finalizing has begun");
  });

  it("once ended, nothing can be pressed", () => {
    for (const phase of ["Succeeded", "RolledBack", "Failed"] as const)
      expect(verbButtons(viewOf({ phase })).some((b) => b.enabled)).toBe(false);
  });
});

describe("enrolment", () => {
  it("marks the steps taken, the current one and the next ones", () => {
    const e = enrolment(
      viewOf({ phase: "Shifting", weight: 50, step: 1 }, { strategy: { steps: [10, 50, 100] } }),
    );
    expect(e).toEqual({
      weight: 50,
      step: "2/3",
      steps: [
        { weight: 10, state: "done" },
        { weight: 50, state: "current" },
        { weight: 100, state: "next" },
      ],
    });
  });

  it("past the cutover every step was taken; before Shifting none (the default steps)", () => {
    expect(
      enrolment(viewOf({ phase: "Draining", weight: 100, step: 2 })).steps.every((s) => s.state === "done"),
    ).toBe(true);
    expect(enrolment(viewOf({ phase: "Preparing" })).steps.map((s) => `${s.weight}:${s.state}`)).toEqual([
      "10:next",
      "50:next",
      "100:next",
    ]);
  });
});

describe("confirmations and drain", () => {
  it("say how many confirmed, which pods lag and why the controller waits", () => {
    const view = viewOf({
      confirmed: { ready: 3, total: 5 },
      configEpoch: 7,
      weightVersion: 2,
      dirtyPods: ["order-v1-0"],
      conditions: [
        {
          type: "Waiting",
          status: "True",
          reason: "Unconfirmed",
          message: "2 proxies have not confirmed epoch 7",
          lastTransitionTime: 0,
        },
      ],
    });
    expect(confirmations(view)).toEqual({
      summary: "3/5 confirmed (config epoch 7, weight version 2)",
      lagging: ["order-v1-0"],
      waiting: "Unconfirmed: 2 proxies have not confirmed epoch 7",
      unconfirmed: "2 proxies have not confirmed epoch 7",
    });
    const settling = viewOf({
      conditions: [
        { type: "Waiting", status: "True", reason: "Settling", message: "quiet", lastTransitionTime: 0 },
      ],
    });
    expect(confirmations(settling).unconfirmed).toBeUndefined();
  });

  it("while Draining: the CLI's ETA, what it waited for, and the old version's activity", () => {
    const view = viewOf({
      phase: "Draining",
      activeOld: 2,
      oldestActiveAgeSeconds: 3,
      pinned: 1,
      drainWaits: { settle: 1.2, oldCalls: 2.5 },
    });
    expect(drain(view)).toEqual({
      eta: "≤ 9m59s (oldest old transaction 3s of max 10m00s, then settle 2s)",
      waited: "oldCalls 2.5s, settle 1.2s",
      active: "2 active at old (oldest 3s), 1 pinned",
    });
    expect(drain(viewOf({ phase: "Shifting" }))).toEqual({
      active: "0 active at old (oldest 0ms), 0 pinned",
    });
  });
});

describe("collectAnalysis", () => {
  it("keeps every verdict once, in arrival order, with its step's weight", () => {
    let results = collectAnalysis([], viewOf());
    expect(results).toEqual([]);
    results = collectAnalysis(
      results,
      analysed("True", "step 50% passed: auth-service v2 success 100% of 12", 5),
    );
    results = collectAnalysis(
      results,
      analysed("True", "step 50% passed: auth-service v2 success 100% of 12", 5),
    );
    results = collectAnalysis(results, analysed("False", "step 100% failed (1/3): success 87.5% < 95%", 9));
    expect(results).toEqual([
      { weight: 50, passed: true, message: "step 50% passed: auth-service v2 success 100% of 12", at: 5 },
      { weight: 100, passed: false, message: "step 100% failed (1/3): success 87.5% < 95%", at: 9 },
    ]);
  });
});

describe("historyRows", () => {
  it("lists the history newest first", () => {
    const rows = historyRows(
      viewOf({ history: [entry(1, "Validating", "created"), entry(2, "Preparing", "valid")] }),
    );
    expect(rows.map((r) => r.message)).toEqual(["valid", "created"]);
  });
});

describe("eventRows", () => {
  it("lists recorded Events newest first, warnings marked in words; none when the controller keeps none", () => {
    const rows = eventRows({
      kept: true,
      events: [
        { type: "Normal", reason: "Shifting", message: "door open", at: 1 },
        { type: "Warning", reason: "AnalysisFailed", message: "success 87.54321% < 95%", at: 2 },
      ],
    });
    expect(rows).toEqual([
      {
        at: 2,
        type: "Warning",
        reason: "AnalysisFailed",
        what: "⚠ AnalysisFailed",
        message: "success 87.5% < 95%",
      },
      { at: 1, type: "Normal", reason: "Shifting", what: "Shifting", message: "door open" },
    ]);
    expect(eventRows({ kept: false, events: [] })).toBeUndefined();
  });
});

describe("verbOutcome", () => {
  it("says what was accepted, or gives the API's own words with its status", () => {
    expect(verbOutcome("Pause", { view: viewOf({ phase: "Shifting", weight: 10 }) })).toEqual({
      text: "Pause accepted: now Shifting, weight 10%",
      ok: true,
    });
    expect(
      verbOutcome("Abort", { status: 409, message: "abort refused: upgrade default/u is Finalizing" }),
    ).toEqual({
      text: "Abort: the controller answered 409: abort refused: upgrade default/u is Finalizing",
      ok: false,
    });
    expect(verbOutcome("Pause", { status: 0, message: "enter the API token first" })).toEqual({
      text: "Pause not sent: enter the API token first",
      ok: false,
    });
  });
});

describe("endReason", () => {
  it("gives the rollback's reason, or the Failed condition's; nothing while it goes well", () => {
    const rolledBack = viewOf({
      phase: "RolledBack",
      history: [
        entry(1, "Shifting"),
        entry(2, "RollingBack", "rolling back: aborted by the user"),
        entry(3, "RolledBack"),
      ],
    });
    expect(endReason(rolledBack)).toBe("aborted by the user");
    const failed = viewOf({
      phase: "Failed",
      conditions: [
        {
          type: "Failed",
          status: "True",
          reason: "MeshRestarted",
          message: "the mesh started afresh",
          lastTransitionTime: 0,
        },
      ],
    });
    expect(endReason(failed)).toBe("MeshRestarted: the mesh started afresh");
    expect(endReason(viewOf({ phase: "Shifting" }))).toBeUndefined();
  });
});

describe("versionRows", () => {
  it("shows each member's old and new version: active now, the oldest's age, the step window's requests and failures", () => {
    const view = viewOf({
      versions: [
        {
          service: "auth-service",
          version: "v1",
          role: "old",
          activeCalls: 4,
          activeTransactions: 3,
          oldestActiveAgeSeconds: 2.4,
          windowRequests: 120,
          windowFailed: 0,
        },
        {
          service: "auth-service",
          version: "v2",
          role: "new",
          activeCalls: 0,
          activeTransactions: 0,
          oldestActiveAgeSeconds: 0,
        },
      ],
    });
    expect(versionRows(view)).toEqual([
      {
        version: "auth-service@v1 (old)",
        active: "3 transactions, 4 calls active, oldest 2.4s",
        window: "120 requests in the step window, 0 failed",
      },
      {
        version: "auth-service@v2 (new)",
        active: "0 transactions, 0 calls active",
        window: "not analysed now",
      },
    ]);
    // A status written before the field existed shows no table.
    expect(versionRows(viewOf({}))).toEqual([]);
  });
});

describe("collectAnalysis with the status's own list", () => {
  it("shows every step's verdict from status.analyses, also those judged before the page opened", () => {
    const view = viewOf({
      analyses: [
        { weight: 10, passed: true, message: "step 10% passed: auth-service@v2 success 100.00%", at: 1_000 },
        {
          weight: 50,
          passed: false,
          message: "step 50% failed (1/3): auth-service@v2 success 80%",
          at: 9_000,
        },
      ],
    });
    expect(collectAnalysis([], view)).toEqual([
      { weight: 10, passed: true, message: "step 10% passed: auth-service@v2 success 100%", at: 1_000 },
      { weight: 50, passed: false, message: "step 50% failed (1/3): auth-service@v2 success 80%", at: 9_000 },
    ]);
  });
});
