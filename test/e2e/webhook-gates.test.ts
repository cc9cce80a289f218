/**
 * The webhook gates on the local mesh: a real controller asks an express server on 127.0.0.1
 * (port 0) that answers yes, no, slowly and garbage, and the upgrade waits, holds, proceeds or
 * rolls back as each gate's type says (ADR 0098). The upgrades carry no threshold: what decides
 * is what the gates answer.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { UpgradeRecord } from "../../controller/ports/upgrade-store.js";
import type { WebhookSpec } from "../../controller/upgrade-spec/schema.js";
import { startGateServer, type GateServer } from "../../controller/webhooks/testing/gate-server.js";
import { bootE2e, createUpgrade, versionsOf, waitForEnd, waitUntil, type E2eEnv } from "./harness.js";

const TRAIN = [{ name: "auth-service", from: "v1", to: "v2" }];

function condition(
  u: UpgradeRecord,
  type: string,
): UpgradeRecord["status"]["conditions"][number] | undefined {
  return u.status.conditions.find((c) => c.type === type);
}

describe("webhook gates on the local mesh", { concurrent: false }, () => {
  let gate: GateServer;
  let secrets = "";
  let env: E2eEnv | undefined;

  beforeAll(async () => {
    gate = await startGateServer();
    gate.slowMs = 5_000;
    secrets = await mkdtemp(join(tmpdir(), "tranquil-e2e-secrets-"));
    await mkdir(join(secrets, "gate-token"));
    await writeFile(join(secrets, "gate-token", "token"), "e2e-bearer\n");
  });
  afterAll(async () => {
    await gate.stop();
    await rm(secrets, { recursive: true, force: true });
  });
  afterEach(async () => {
    await env?.stop();
    env = undefined;
    gate.answers.clear();
    gate.calls.length = 0;
  });

  const hook = (name: string, type: WebhookSpec["type"], extra: Partial<WebhookSpec> = {}): WebhookSpec => ({
    name,
    type,
    url: `${gate.url}/gate/${name}`,
    timeout: "2s",
    retries: 1,
    ...extra,
  });

  it("confirm-rollout and confirm-promotion hold until they say yes; pre/post-rollout, rollout and event gates get their payloads", async () => {
    env = await bootE2e({ secretsDir: secrets });
    gate.answers.set("qa-approval", "no");
    gate.answers.set("release-manager", "no");
    gate.answers.set("pager", "no");
    await createUpgrade(env.ctl(), "auth-v2", {
      services: TRAIN,
      strategy: {
        steps: [50, 100],
        stepInterval: "2s",
        webhooks: [
          hook("qa-approval", "confirm-rollout"),
          hook("smoke", "pre-rollout", { secretRef: { name: "gate-token" }, metadata: { suite: "smoke" } }),
          hook("load-test", "rollout"),
          hook("release-manager", "confirm-promotion"),
          hook("pager", "rollback"),
          hook("notify", "post-rollout"),
          hook("audit", "event"),
        ],
      },
    });
    // confirm-rollout says no: nothing is applied, and the status says which gate and why.
    const waiting = await waitUntil(
      env.ctl,
      "auth-v2",
      (u) => condition(u, "Gate")?.status === "True",
      20_000,
    );
    expect(waiting.status.phase).toBe("Validating");
    expect(condition(waiting, "Gate")).toMatchObject({
      reason: "ConfirmRollout",
      message:
        'validated; waiting for confirm-rollout: confirm-rollout "qa-approval" said no: HTTP 403 (qa-approval has not signed off)',
    });
    expect(condition(waiting, "Waiting")).toMatchObject({ reason: "Gate" });
    expect(versionsOf(env.mesh, "auth-service")).toEqual(["v1", "v1"]);
    gate.answers.set("qa-approval", "yes");
    // confirm-promotion says no: the upgrade holds at its last step (50%) and keeps analysing.
    const held = await waitUntil(
      env.ctl,
      "auth-v2",
      (u) => condition(u, "Gate")?.reason === "ConfirmPromotion" && (u.status.analyses?.length ?? 0) >= 2,
      60_000,
    );
    expect(held.status.phase).toBe("Shifting");
    expect(held.status.weight).toBe(50);
    expect(condition(held, "Gate")?.message).toBe(
      'step 50% passed; holding before weight 100% (the cutover): confirm-promotion "release-manager" said no: HTTP 403 (release-manager has not signed off)',
    );
    gate.answers.set("release-manager", "yes");
    const final = await waitForEnd(env.ctl(), "auth-v2", 90_000);
    expect(final.status.phase, final.status.engine.reason ?? "").toBe("Succeeded");
    expect(condition(final, "Gate")).toMatchObject({ status: "False", reason: "Open" });

    // What each gate received.
    const smoke = gate.callsOf("smoke");
    expect(smoke.length).toBe(1);
    expect(smoke[0]).toMatchObject({
      authorization: "Bearer e2e-bearer",
      body: {
        name: "auth-v2",
        namespace: "default",
        phase: "Shifting",
        type: "pre-rollout",
        metadata: { suite: "smoke" },
      },
    });
    expect(gate.callsOf("load-test").length).toBeGreaterThanOrEqual(2);
    expect(gate.callsOf("pager").length).toBeGreaterThanOrEqual(2);
    await waitUntil(env.ctl, "auth-v2", () => gate.callsOf("notify").length === 1, 10_000);
    expect(gate.callsOf("notify")[0]?.body).toMatchObject({ phase: "Succeeded", type: "post-rollout" });
    const audited = gate
      .callsOf("audit")
      .map((c) => (c.body as { metadata: Record<string, string> }).metadata);
    expect(audited.map((m) => m["eventReason"])).toEqual(
      expect.arrayContaining(["PhaseChanged", "WebhookNo", "WebhookYes"]),
    );
    expect(audited.find((m) => m["eventReason"] === "PhaseChanged")).toMatchObject({
      eventType: "Normal",
      eventMessage: "Validating → Preparing",
    });
    // One event per change of a gate's answer, not one per poll.
    const events = env.ctl().events.recent({ namespace: "default", name: "auth-v2" });
    const qa = events.filter((e) => e.message.startsWith('confirm-rollout "qa-approval"'));
    expect(qa.map((e) => e.reason)).toEqual(["WebhookNo", "WebhookYes"]);
    expect(gate.callsOf("qa-approval").length).toBeGreaterThanOrEqual(2);
  }, 150_000);

  it("a garbage answer holds like a no; a rollout gate that times out fails its windows and rolls back", async () => {
    env = await bootE2e();
    gate.answers.set("ops", "garbage");
    gate.answers.set("load-test", "slow");
    await createUpgrade(env.ctl(), "auth-v2-slow", {
      services: TRAIN,
      strategy: {
        steps: [50, 100],
        stepInterval: "2s",
        failureLimit: 1,
        webhooks: [
          hook("ops", "confirm-traffic-increase"),
          hook("load-test", "rollout", { timeout: "500ms", retries: 0 }),
        ],
      },
    });
    const garbage = await waitUntil(
      env.ctl,
      "auth-v2-slow",
      (u) => condition(u, "Gate")?.status === "True",
      60_000,
    );
    expect(garbage.status.phase).toBe("Shifting");
    expect(garbage.status.weight).toBe(0);
    expect(condition(garbage, "Gate")?.message).toMatch(
      /^holding before weight 50%: confirm-traffic-increase "ops" answered garbage: HTTP 200 with a body that is not JSON/,
    );
    gate.answers.set("ops", "yes");
    const final = await waitForEnd(env.ctl(), "auth-v2-slow", 90_000);
    expect(final.status.phase).toBe("RolledBack");
    expect(final.status.engine.reason).toBe(
      'analysis failed: rollout "load-test" did not answer: timed out after 500ms (1 attempt)',
    );
    expect((final.status.analyses ?? []).map((a) => a.message)).toEqual([
      'step 50% failed (1/2): rollout "load-test" did not answer: timed out after 500ms (1 attempt)',
      'step 50% failed (2/2): rollout "load-test" did not answer: timed out after 500ms (1 attempt)',
    ]);
    expect(versionsOf(env.mesh, "auth-service")).toEqual(["v1", "v1"]);
  }, 150_000);

  it("a rollback gate that says yes rolls back", async () => {
    env = await bootE2e();
    gate.answers.set("pager", "no");
    gate.answers.set("release-manager", "no");
    await createUpgrade(env.ctl(), "auth-v2-paged", {
      services: TRAIN,
      strategy: {
        steps: [50, 100],
        stepInterval: "2s",
        webhooks: [hook("pager", "rollback"), hook("release-manager", "confirm-promotion")],
      },
    });
    await waitUntil(env.ctl, "auth-v2-paged", (u) => u.status.weight === 50, 60_000);
    expect(gate.callsOf("pager").length).toBeGreaterThanOrEqual(1);
    gate.answers.set("pager", "yes");
    const final = await waitForEnd(env.ctl(), "auth-v2-paged", 90_000);
    expect(final.status.phase).toBe("RolledBack");
    expect(final.status.engine.reason).toBe('rollback "pager" said yes');
    expect(versionsOf(env.mesh, "auth-service")).toEqual(["v1", "v1"]);
  }, 150_000);
});
