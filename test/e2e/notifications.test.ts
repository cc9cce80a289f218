/**
 * Notifications on the local mesh: a JSON webhook and a Slack incoming webhook (real HTTP
 * servers on loopback) receive, in order, the phase changes of an upgrade that succeeds and
 * the abort of one that is rolled back; a third target, down all along, changes nothing for
 * the upgrades and is counted failed after its bounded attempts. A bad release's rollback is
 * a `rollback` notification, naming the failed analysis.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { NotifySettings } from "../../controller/notify/notify-config.js";
import { resolveNotifySettings } from "../../controller/notify/notify-config.js";
import type { WebhookPayload, SlackPayload } from "../../controller/notify/payloads.js";
import {
  notificationCounts,
  startWebhookServer,
  type WebhookServer,
} from "../../controller/notify/testing/webhook-server.js";
import type { LocalController } from "../../controller/local/local-controller.js";
import { freePort } from "../support/redis-server.js";
import {
  api,
  bootE2e,
  createUpgrade,
  E2eTopology,
  startUsers,
  strategy,
  waitForEnd,
  waitUntil,
  type E2eEnv,
} from "./harness.js";

describe("notifications on the local mesh", { concurrent: false }, () => {
  let json: WebhookServer;
  let slack: WebhookServer;
  let env: E2eEnv | undefined;

  // Each test has receivers of its own, so what one receives is that test's alone.
  beforeEach(async () => {
    json = await startWebhookServer();
    slack = await startWebhookServer();
  });
  afterEach(async () => {
    await env?.stop();
    env = undefined;
    await json.close();
    await slack.close();
  });

  it("tells both targets of a success and an abort, in order, while a target that is down fails", async () => {
    const down = `http://127.0.0.1:${await freePort()}/hook`;
    const notify: NotifySettings = {
      ...resolveNotifySettings({
        webhooks: [json.url, down],
        slack: [slack.url],
        events: "phase,rollback,abort",
      }),
      policy: { queueCapacity: 100, maxAttempts: 3, attemptTimeoutMs: 2_000, backoffMs: 20 },
    };
    env = await bootE2e({ notify });
    const ctl: LocalController = env.ctl();
    const users = startUsers(env.mesh);
    await createUpgrade(ctl, "auth-v2", {
      services: [{ name: "auth-service", from: "v1", to: "v2" }],
      strategy: strategy([50, 100]),
    });
    expect((await waitForEnd(ctl, "auth-v2")).status.phase).toBe("Succeeded");
    // The next one is held at 50% by a long step, then aborted.
    await createUpgrade(ctl, "auth-v3", {
      services: [{ name: "auth-service", from: "v2", to: "v3" }],
      strategy: { ...strategy([50, 100]), stepInterval: "60s" },
    });
    await waitUntil(
      env.ctl,
      "auth-v3",
      (u) => u.status.phase === "Shifting" && u.status.engine.stage === "analyse",
    );
    expect((await api(ctl, "/v1/upgrades/auth-v3/abort")).status).toBeLessThan(300);
    expect((await waitForEnd(ctl, "auth-v3")).status.phase).toBe("RolledBack");
    await users.finish();
    // A graceful stop flushes the queues within their deadline.
    await env.stopController();

    const received = json.bodies as WebhookPayload[];
    const of = (upgrade: string): WebhookPayload[] => received.filter((b) => b.upgrade === upgrade);
    console.log(
      `[notifications e2e] ${received.map((b) => `${b.upgrade}:${b.kind}:${b.phase}`).join(" ")}; slack ${slack.bodies.length}`,
    );
    // Every upgrade's notifications chain: each one leaves the phase the previous one entered.
    for (const upgrade of ["auth-v2", "auth-v3"]) {
      const chain = of(upgrade);
      expect(chain[0]?.previousPhase).toBe("Validating");
      chain.slice(1).forEach((b, i) => expect(b.previousPhase).toBe(chain[i]?.phase));
    }
    const v2 = of("auth-v2");
    expect(v2.every((b) => b.kind === "phase" && b.namespace === "default" && b.source === "tranquil")).toBe(
      true,
    );
    expect(v2.map((b) => b.phase)).toEqual(expect.arrayContaining(["Shifting", "Draining", "Finalizing"]));
    expect(v2.at(-1)).toMatchObject({
      phase: "Succeeded",
      severity: "Normal",
      message: "Finalizing → Succeeded",
    });
    const v3 = of("auth-v3");
    expect(v3.slice(-2)).toMatchObject([
      {
        kind: "abort",
        phase: "RollingBack",
        previousPhase: "Shifting",
        severity: "Warning",
        message: "Shifting → RollingBack: aborted by the user",
      },
      { kind: "abort", phase: "RolledBack", previousPhase: "RollingBack", severity: "Warning" },
    ]);
    // auth-v2's notifications all came before auth-v3's.
    expect(received.map((b) => b.upgrade)).toEqual([...v2.map(() => "auth-v2"), ...v3.map(() => "auth-v3")]);
    expect(Date.parse(v3[0]?.time ?? "")).toBeGreaterThanOrEqual(Date.parse(v2.at(-1)?.time ?? ""));

    // Slack got the same notifications, in the same order, in its own shape.
    const texts = (slack.bodies as SlackPayload[]).map((b) => b.text);
    expect(texts).toHaveLength(received.length);
    texts.forEach((t, i) =>
      expect(t).toContain(`default/${received[i]?.upgrade}: ${received[i]?.message ?? ""}`),
    );
    expect(texts.at(-1)).toMatch(/^Aborted upgrade rolled back: default\/auth-v3: RollingBack → RolledBack/);
    expect((slack.bodies as SlackPayload[]).every((b) => b.blocks[0].type === "section")).toBe(true);

    // The target that is down: every notification tried 3 times, then failed; none sent.
    const registry = ctl.metrics.registry;
    expect(await notificationCounts(registry, "webhook-1")).toEqual({
      sent: received.length,
      failed: 0,
      dropped: 0,
    });
    expect(await notificationCounts(registry, "slack-1")).toEqual({
      sent: received.length,
      failed: 0,
      dropped: 0,
    });
    expect(await notificationCounts(registry, "webhook-2")).toEqual({
      sent: 0,
      failed: received.length,
      dropped: 0,
    });
    expect(await registry.metrics()).toContain(
      'tranquil_notifications_total{target="webhook-2",outcome="failed"}',
    );
  }, 120_000);

  it("tells of a bad release's rollback as a rollback, naming the failed analysis", async () => {
    const notify = resolveNotifySettings({ webhooks: [json.url], slack: [slack.url] });
    env = await bootE2e({ topology: E2eTopology.BadRelease, notify });
    const ctl = env.ctl();
    const users = startUsers(env.mesh);
    await createUpgrade(ctl, "auth-v2-bad", {
      services: [{ name: "auth-service", from: "v1", to: "v2" }],
      strategy: strategy([50, 100], 0),
    });
    expect((await waitForEnd(ctl, "auth-v2-bad")).status.phase).toBe("RolledBack");
    await users.finish();
    await env.stopController();
    const mine = (json.bodies as WebhookPayload[]).filter((b) => b.upgrade === "auth-v2-bad");
    console.log(`[notifications e2e bad release] ${mine.map((b) => `${b.kind}:${b.phase}`).join(" ")}`);
    expect(mine.slice(-2)).toMatchObject([
      { kind: "rollback", phase: "RollingBack", previousPhase: "Shifting", severity: "Warning" },
      { kind: "rollback", phase: "RolledBack", previousPhase: "RollingBack", severity: "Warning" },
    ]);
    expect(mine.at(-2)?.message).toMatch(/^Shifting → RollingBack: analysis failed: /);
    const texts = (slack.bodies as SlackPayload[])
      .map((b) => b.text)
      .filter((t) => t.includes("auth-v2-bad"));
    expect(texts).toHaveLength(mine.length);
    expect(texts.at(-1)).toMatch(
      /^Upgrade rolled back: default\/auth-v2-bad: RollingBack → RolledBack: analysis failed/,
    );
  }, 120_000);
});
