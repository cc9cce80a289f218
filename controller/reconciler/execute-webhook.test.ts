/**
 * The reconciler's execution of `callWebhook` (ADR 0098) against a gate on 127.0.0.1: a yes is
 * ok, a no is a permanent failure saying how the gate answered, and a post-rollout gate's answer
 * (which no later tick reads) is an event.
 */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ActionKind, type CallWebhookAction } from "../engine/types.js";
import type { Backend, UpgradeEventNote } from "../ports/index.js";
import type { UpgradeRef } from "../ports/router.js";
import { HttpWebhooks } from "../webhooks/http-webhooks.js";
import { startGateServer, type GateServer } from "../webhooks/testing/gate-server.js";
import { executeAction } from "./execute.js";

describe("executeAction(callWebhook)", () => {
  let gate: GateServer;
  beforeAll(async () => {
    gate = await startGateServer();
    gate.answers.set("notify", "no");
    gate.answers.set("qa", "no");
  });
  afterAll(async () => gate.stop());

  const upgrade = (): UpgradeRef => ({
    id: "auth-v2-1a2b3c",
    name: "auth-v2",
    namespace: "shop",
    spec: {
      services: [{ name: "auth-service", from: "v1", to: "v2" }],
      strategy: {
        webhooks: [
          { name: "qa", type: "confirm-promotion", url: `${gate.url}/gate/qa`, retries: 0 },
          { name: "ok", type: "confirm-promotion", url: `${gate.url}/gate/ok` },
          { name: "notify", type: "post-rollout", url: `${gate.url}/gate/notify`, retries: 0 },
        ],
      },
    },
  });
  const action = (webhook: string, hookType: CallWebhookAction["hookType"]): CallWebhookAction => ({
    kind: ActionKind.CallWebhook,
    key: `auth-v2:webhook:${webhook}:1`,
    webhook,
    hookType,
    context: "step:1",
    phase: "Shifting",
  });
  // Only the Webhooks port is used by this action.
  const backend = (webhooks?: HttpWebhooks): Backend =>
    ({ ...(webhooks !== undefined ? { webhooks } : {}) }) as unknown as Backend;

  async function run(
    a: CallWebhookAction,
    b: Backend,
  ): Promise<{ result: unknown; events: UpgradeEventNote[] }> {
    const events: UpgradeEventNote[] = [];
    const result = await executeAction(
      a,
      upgrade(),
      b,
      pino({ level: "silent" }),
      {
        record: (note) => Promise.resolve(void events.push(note)),
      },
      () => 42,
    );
    return { result, events };
  }

  it("a yes is ok; a no is a permanent failure with the gate's answer, and no event", async () => {
    const webhooks = new HttpWebhooks();
    expect(await run(action("ok", "confirm-promotion"), backend(webhooks))).toEqual({
      result: { ok: true },
      events: [],
    });
    expect(await run(action("qa", "confirm-promotion"), backend(webhooks))).toEqual({
      result: { ok: false, permanent: true, message: "said no: HTTP 403 (qa has not signed off)" },
      events: [],
    });
    expect(gate.callsOf("qa")[0]?.body).toMatchObject({ name: "auth-v2", phase: "Shifting" });
  });

  it("a post-rollout gate's answer is an event", async () => {
    const { events } = await run(action("notify", "post-rollout"), backend(new HttpWebhooks()));
    expect(events).toEqual([
      {
        type: "Warning",
        reason: "WebhookNo",
        message: 'post-rollout "notify" said no: HTTP 403 (notify has not signed off)',
        at: 42,
      },
    ]);
  });

  it("without a webhook client, or for a gate the spec no longer names, the answer is a no that says why", async () => {
    expect((await run(action("qa", "confirm-promotion"), backend())).result).toEqual({
      ok: false,
      permanent: true,
      message: "was not called: this controller has no webhook client",
    });
    expect((await run(action("gone", "rollout"), backend(new HttpWebhooks()))).result).toEqual({
      ok: false,
      permanent: true,
      message: "was not called: the spec no longer names it",
    });
  });
});
