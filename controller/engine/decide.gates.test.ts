import { describe, expect, it } from "vitest";
import { Harness, specFor } from "./testing/harness.js";
import type { Action, ActionResult, UpgradeSpec, WebhookSpec } from "./types.js";

const NO_403: ActionResult = { ok: false, permanent: true, message: "said no: HTTP 403 (not signed off)" };

/** A spec with these webhook gates (stepInterval 10s, steps 10/50/100). */
function gated(
  hooks: readonly Partial<WebhookSpec>[],
  extra: Partial<UpgradeSpec["strategy"]> = {},
): UpgradeSpec {
  const base = specFor();
  return {
    ...base,
    strategy: {
      ...base.strategy,
      ...extra,
      webhooks: hooks.map((h, i) => ({
        name: `gate-${i}`,
        type: "confirm-rollout",
        url: "http://127.0.0.1:1/hook",
        ...h,
      })),
    },
  };
}

const calls = (h: Harness, name?: string): Action[] =>
  h.issued.filter((a) => a.kind === "callWebhook" && (name === undefined || a.webhook === name));
const weights = (h: Harness): number[] => h.log.flatMap((a) => (a.kind === "setWeight" ? [a.weight] : []));
const events = (h: Harness, reason: string): string[] =>
  h.log.flatMap((a) => (a.kind === "recordEvent" && a.reason === reason ? [a.message] : []));

describe("decide(): webhook gates (ADR 0098)", () => {
  it("confirm-rollout: waits in Validating, saying which gate said no, then proceeds on a yes", () => {
    const h = new Harness(gated([{ name: "qa-signoff", type: "confirm-rollout" }]));
    h.webhookAnswers.set("qa-signoff", NO_403);
    for (let i = 0; i < 30; i++) h.tick();
    expect(h.status.phase).toBe("Validating");
    expect(h.condition("Gate")).toMatchObject({
      status: "True",
      reason: "ConfirmRollout",
      message:
        'validated; waiting for confirm-rollout: confirm-rollout "qa-signoff" said no: HTTP 403 (not signed off)',
    });
    expect(h.condition("Waiting")).toMatchObject({ reason: "Gate" });
    // Asked again once per step interval (10 s), not on every tick; one event for the change.
    expect(calls(h, "qa-signoff").length).toBe(2);
    expect(events(h, "WebhookNo")).toEqual([
      'confirm-rollout "qa-signoff" said no: HTTP 403 (not signed off)',
    ]);
    expect(h.log.some((a) => a.kind === "ensureSubset")).toBe(false);
    h.webhookAnswers.delete("qa-signoff");
    h.runUntil((x) => x.status.phase === "Preparing", 60);
    expect(h.condition("Gate")).toMatchObject({ status: "False", reason: "Open" });
    expect(events(h, "WebhookYes")).toEqual(['confirm-rollout "qa-signoff" said yes']);
  });

  it("a gate that does not answer yet holds without a Gate condition, and says it is asking", () => {
    const h = new Harness(gated([{ name: "slow", type: "confirm-rollout" }]));
    h.silentWebhooks.add("slow");
    for (let i = 0; i < 10; i++) h.tick();
    expect(h.status.phase).toBe("Validating");
    expect(calls(h, "slow").length).toBe(1);
    expect(h.condition("Gate")).toBeUndefined();
    expect(h.condition("Waiting")?.message).toBe(
      'validated; waiting for confirm-rollout: asking confirm-rollout "slow"',
    );
  });

  it("pre-rollout: asked before the first weight; a no rolls back at failureLimit 0", () => {
    const h = new Harness(gated([{ name: "smoke", type: "pre-rollout" }]));
    h.webhookAnswers.set("smoke", {
      ok: false,
      permanent: true,
      message: "did not answer: timed out after 1s (3 attempts)",
    });
    h.runUntil((x) => x.status.phase === "RollingBack", 200);
    expect(weights(h)).not.toContain(10);
    expect(h.status.engine.reason).toBe(
      'pre-rollout failed: pre-rollout "smoke" did not answer: timed out after 1s (3 attempts)',
    );
    expect(h.condition("Gate")).toBeUndefined();
  });

  it("pre-rollout: below failureLimit a no holds and is asked again; a yes then shifts", () => {
    const h = new Harness(gated([{ name: "smoke", type: "pre-rollout" }], { failureLimit: 1 }));
    h.webhookAnswers.set("smoke", NO_403);
    h.runUntil((x) => x.condition("Gate")?.reason === "PreRollout", 200);
    expect(h.status.phase).toBe("Shifting");
    expect(weights(h)).toEqual([]);
    expect(h.condition("Gate")?.message).toMatch(
      /^before weight 10%: pre-rollout \(1\/2 failed\): pre-rollout "smoke" said no/,
    );
    h.webhookAnswers.delete("smoke");
    h.runUntil((x) => weights(x).length === 1, 100);
    expect(weights(h)).toEqual([10]);
  });

  it("pre-rollout: the Gate condition that held turns False when its nos roll back", () => {
    const h = new Harness(gated([{ name: "smoke", type: "pre-rollout" }], { failureLimit: 1 }));
    h.webhookAnswers.set("smoke", NO_403);
    h.runUntil((x) => x.condition("Gate")?.status === "True", 200);
    h.runUntil((x) => x.status.phase === "RollingBack", 100);
    expect(calls(h, "smoke").length).toBe(2);
    expect(h.condition("Gate")).toMatchObject({ status: "False", reason: "RollingBack" });
    expect(h.status.engine.reason).toBe(
      'pre-rollout failed: pre-rollout "smoke" said no: HTTP 403 (not signed off)',
    );
  });

  it("confirm-traffic-increase holds before each weight below 100", () => {
    const h = new Harness(gated([{ name: "ops", type: "confirm-traffic-increase" }]));
    h.webhookAnswers.set("ops", NO_403);
    h.runUntil((x) => x.status.phase === "Shifting");
    for (let i = 0; i < 30; i++) h.tick();
    expect(weights(h)).toEqual([]);
    expect(h.condition("Gate")).toMatchObject({ reason: "ConfirmTrafficIncrease" });
    expect(h.condition("Gate")?.message).toMatch(
      /^holding before weight 10%: confirm-traffic-increase "ops"/,
    );
    h.webhookAnswers.delete("ops");
    h.runUntil((x) => weights(x).length === 2, 200);
    // Asked once per step interval while it says no (two nos, then a yes), then once for 50%; never for 100%.
    expect(calls(h, "ops").map((a) => (a.kind === "callWebhook" ? a.context : ""))).toEqual([
      "step:0",
      "step:0",
      "step:0",
      "step:1",
    ]);
  });

  it("confirm-promotion holds at the last step, analysing window after window, then cuts over on a yes", () => {
    const h = new Harness(gated([{ name: "qa-signoff", type: "confirm-promotion" }]));
    h.webhookAnswers.set("qa-signoff", NO_403);
    h.runUntil((x) => x.condition("Gate")?.reason === "ConfirmPromotion", 400);
    for (let i = 0; i < 60; i++) h.tick();
    expect(weights(h)).toEqual([10, 50]);
    expect(h.status.phase).toBe("Shifting");
    expect(h.condition("Gate")?.message).toBe(
      'step 50% passed; holding before weight 100% (the cutover): confirm-promotion "qa-signoff" said no: HTTP 403 (not signed off)',
    );
    // The analysis goes on: each window passes again and the gate is asked again.
    expect((h.status.analyses ?? []).filter((a) => a.weight === 50).length).toBeGreaterThanOrEqual(3);
    expect(events(h, "WebhookNo").length).toBe(1);
    h.webhookAnswers.delete("qa-signoff");
    h.runUntil((x) => x.status.phase === "Draining", 200);
    expect(weights(h)).toEqual([10, 50, 100]);
  });

  it("rollout: a no fails the step window like a failed check, and rolls back past failureLimit", () => {
    const h = new Harness(gated([{ name: "load-test", type: "rollout" }], { failureLimit: 1 }));
    h.webhookAnswers.set("load-test", { ok: false, permanent: true, message: "said no: HTTP 500" });
    h.runUntil((x) => x.status.phase === "RollingBack", 400);
    expect(weights(h).slice(0, 1)).toEqual([10]);
    const failed = (h.status.analyses ?? []).filter((a) => !a.passed).map((a) => a.message);
    expect(failed).toEqual([
      'step 10% failed (1/2): rollout "load-test" said no: HTTP 500',
      'step 10% failed (2/2): rollout "load-test" said no: HTTP 500',
    ]);
    // Once per window, not per tick.
    expect(calls(h, "load-test").length).toBe(2);
  });

  it("rollback: polled while the upgrade can roll back; a yes rolls back", () => {
    const h = new Harness(gated([{ name: "pager", type: "rollback" }]));
    h.webhookAnswers.set("pager", { ok: false, permanent: true, message: "said no: HTTP 404" });
    h.runUntil((x) => x.status.phase === "Shifting" && x.status.engine.stage === "analyse");
    expect(calls(h, "pager").length).toBeGreaterThanOrEqual(1);
    // A rollback gate's no is the normal case: a Normal event, no Gate condition.
    expect(h.log.find((a) => a.kind === "recordEvent" && a.reason === "WebhookNo")).toMatchObject({
      type: "Normal",
    });
    expect(h.condition("Gate")).toBeUndefined();
    h.webhookAnswers.delete("pager");
    h.runUntil((x) => x.status.phase === "RollingBack", 60);
    expect(h.status.engine.reason).toBe('rollback "pager" said yes');
    h.runUntil((x) => x.status.phase === "RolledBack", 400);
  });

  it("post-rollout: told once the upgrade has ended", () => {
    const h = new Harness(gated([{ name: "notify", type: "post-rollout" }]));
    h.runUntil((x) => x.status.phase === "Succeeded", 2_000);
    expect(calls(h, "notify")).toEqual([
      expect.objectContaining({ kind: "callWebhook", hookType: "post-rollout", phase: "Succeeded" }),
    ]);
  });

  it("no gates: nothing is asked and no Gate condition appears", () => {
    const h = new Harness(specFor());
    h.runUntil((x) => x.status.phase === "Succeeded", 2_000);
    expect(calls(h)).toEqual([]);
    expect(h.condition("Gate")).toBeUndefined();
  });
});
