/**
 * The notifier as an EventRecorder decorator, with a JSON and a Slack receiver on loopback:
 * the wrapped recorder records every Event as before; PhaseChanged Events reach both targets
 * in their payloads; `--notify-events` filters kinds; and recording 1,000 Events while both
 * targets hang returns at once (counted: every record resolved before any target answered).
 */
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import type { EventRecorder, UpgradeEventNote } from "../ports/events.js";
import type { UpgradeKey } from "../ports/upgrade-store.js";
import { Notifier } from "./notifier.js";
import { resolveNotifySettings } from "./notify-config.js";
import type { DeliveryPolicy } from "./target-queue.js";
import {
  notificationCounts,
  startWebhookServer,
  type Answer,
  type WebhookServer,
} from "./testing/webhook-server.js";

const KEY = { namespace: "shop", name: "reviews-v2" };
const AT = Date.UTC(2026, 11, 4, 21, 0, 0);
const POLICY: DeliveryPolicy = { queueCapacity: 20, maxAttempts: 2, attemptTimeoutMs: 60_000, backoffMs: 5 };

/** A recorder that keeps what it was given. */
class KeepingRecorder implements EventRecorder {
  readonly recorded: { upgrade: UpgradeKey; event: UpgradeEventNote }[] = [];
  record(upgrade: UpgradeKey, event: UpgradeEventNote): Promise<void> {
    this.recorded.push({ upgrade, event });
    return Promise.resolve();
  }
}

const phase = (message: string, type: "Normal" | "Warning" = "Normal"): UpgradeEventNote => ({
  type,
  reason: "PhaseChanged",
  message,
  at: AT,
});

let servers: WebhookServer[] = [];
let notifiers: Notifier[] = [];
afterEach(async () => {
  await Promise.all(notifiers.map((n) => n.stop(100)));
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
  notifiers = [];
});

async function setUp(answer: Answer, events = "all") {
  const json = await startWebhookServer(answer);
  const slack = await startWebhookServer(answer);
  servers.push(json, slack);
  const registry = new Registry();
  const settings = {
    ...resolveNotifySettings({ webhooks: [json.url], slack: [slack.url], events }),
    policy: POLICY,
  };
  const notifier = new Notifier({
    settings,
    registry,
    logger: pino({ level: "silent" }),
    lookup: () => Promise.reject(new Error("not used")),
  });
  notifiers.push(notifier);
  const inner = new KeepingRecorder();
  return { json, slack, registry, notifier, inner, recorder: notifier.wrap(inner) };
}

describe("Notifier", () => {
  it("records through the wrapped recorder and posts phase changes to both targets", async () => {
    const { json, slack, notifier, inner, recorder, registry } = await setUp(() => 200);
    await recorder.record(KEY, phase("Validating → Preparing"));
    await recorder.record(KEY, { type: "Normal", reason: "Waiting", message: "creating new", at: AT });
    await recorder.record(KEY, phase("Shifting → RollingBack: aborted by the user", "Warning"));
    await notifier.stop(5_000);
    expect(inner.recorded.map((r) => r.event.reason)).toEqual(["PhaseChanged", "Waiting", "PhaseChanged"]);
    expect(json.bodies).toMatchObject([
      {
        kind: "phase",
        upgrade: "reviews-v2",
        namespace: "shop",
        phase: "Preparing",
        previousPhase: "Validating",
      },
      {
        kind: "abort",
        phase: "RollingBack",
        severity: "Warning",
        message: "Shifting → RollingBack: aborted by the user",
      },
    ]);
    expect(slack.bodies.map((b) => (b as { text: string }).text)).toEqual([
      "Upgrade Preparing: shop/reviews-v2: Validating → Preparing",
      "Upgrade aborted, rolling back: shop/reviews-v2: Shifting → RollingBack: aborted by the user",
    ]);
    expect(await notificationCounts(registry, "webhook-1")).toEqual({ sent: 2, failed: 0, dropped: 0 });
    expect(await notificationCounts(registry, "slack-1")).toEqual({ sent: 2, failed: 0, dropped: 0 });
  });

  it("sends only the kinds asked for", async () => {
    const { json, notifier, recorder } = await setUp(() => 200, "abort,rollback");
    await recorder.record(KEY, phase("Validating → Preparing"));
    await recorder.record(KEY, phase("Shifting → RollingBack: analysis failed: errors", "Warning"));
    await notifier.stop(5_000);
    expect(json.bodies).toMatchObject([{ kind: "rollback", phase: "RollingBack" }]);
  });

  it("returns from 1,000 records at once while both targets hang", async () => {
    const { json, inner, recorder, registry } = await setUp(() => "hang");
    const settled: boolean[] = [];
    for (let i = 0; i < 1_000; i++) {
      void recorder.record(KEY, phase("Validating → Preparing")).then(() => settled.push(true));
    }
    // Every record reached the wrapped recorder synchronously, and resolves on the next turn,
    // before any target has answered anything.
    expect(inner.recorded).toHaveLength(1_000);
    await Promise.resolve();
    await Promise.resolve();
    expect(settled).toHaveLength(1_000);
    expect(json.requests()).toBeLessThanOrEqual(1);
    const counts = await notificationCounts(registry, "webhook-1");
    expect(counts).toEqual({ sent: 0, failed: 0, dropped: 1_000 - 1 - POLICY.queueCapacity });
  });
});
