/**
 * The controllers' one call: no settings or no target means no notifier; with one, long waits
 * are read back from the controller's store; and behind the cluster controller's leader fence
 * a replica that does not lead notifies nothing.
 */
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { fenced } from "../kubernetes/leadership-fence.js";
import type { EventRecorder } from "../ports/events.js";
import type { UpgradeKey, UpgradeRecord } from "../ports/upgrade-store.js";
import type { Notifier } from "./notifier.js";
import { resolveNotifySettings } from "./notify-config.js";
import { startNotifier } from "./start-notifier.js";
import { startWebhookServer, type WebhookServer } from "./testing/webhook-server.js";

const KEY = { namespace: "shop", name: "reviews-v2" };
const AT = Date.UTC(2026, 11, 4, 21, 0, 0);
const logger = pino({ level: "silent" });
const quiet: EventRecorder = { record: () => Promise.resolve() };

let server: WebhookServer | undefined;
let notifier: Notifier | undefined;
afterEach(async () => {
  await notifier?.stop(1_000);
  await server?.close();
  notifier = undefined;
  server = undefined;
});

describe("startNotifier", () => {
  const store = { get: (_key: UpgradeKey): Promise<UpgradeRecord> => Promise.reject(new Error("unused")) };

  it("starts none without settings, without a target, or with no kind", () => {
    const wiring = { registry: new Registry(), logger, store };
    expect(startNotifier(undefined, wiring)).toBeUndefined();
    expect(startNotifier(resolveNotifySettings({}), wiring)).toBeUndefined();
    expect(
      startNotifier(resolveNotifySettings({ webhooks: ["http://127.0.0.1:9/x"], events: "none" }), wiring),
    ).toBeUndefined();
  });

  it("notifies the leader's Events only, behind the fence", async () => {
    server = await startWebhookServer();
    notifier = startNotifier(resolveNotifySettings({ webhooks: [server.url] }), {
      registry: new Registry(),
      logger,
      store,
    });
    let leading = false;
    const recorder = fenced(notifier?.wrap(quiet) ?? quiet, () => leading);
    const change = (message: string) => ({
      type: "Normal" as const,
      reason: "PhaseChanged",
      message,
      at: AT,
    });
    await expect(recorder.record(KEY, change("Validating → Preparing"))).rejects.toThrow();
    leading = true;
    await recorder.record(KEY, change("Preparing → Shifting"));
    await notifier?.stop(5_000);
    expect(server.bodies).toMatchObject([{ phase: "Shifting", previousPhase: "Preparing" }]);
  });

  it.each([
    ["notifies it", true],
    ["notifies nothing once this replica no longer leads", false],
  ] as const)("reads a long wait back from the store and %s", async (_what, leads) => {
    server = await startWebhookServer();
    const since = Date.now();
    const asked: UpgradeKey[] = [];
    const waitingStore = {
      get: (key: UpgradeKey): Promise<UpgradeRecord> => {
        asked.push(key);
        const status = {
          phase: "Draining",
          conditions: [
            {
              type: "Waiting",
              status: "True",
              reason: "OldActive",
              message: "calls still active at reviews@v1",
              lastTransitionTime: since,
            },
          ],
        };
        // Only the status is read; the rest of the record does not matter here.
        return Promise.resolve({ ...key, status } as unknown as UpgradeRecord);
      },
    };
    notifier = startNotifier(resolveNotifySettings({ webhooks: [server.url], waitAfter: "1s" }), {
      registry: new Registry(),
      logger,
      store: waitingStore,
      active: () => leads,
    });
    const recorder = notifier?.wrap(quiet) ?? quiet;
    await recorder.record(KEY, {
      type: "Normal",
      reason: "Waiting",
      message: "calls still active",
      at: since,
    });
    for (let i = 0; i < 100 && server.bodies.length === 0 && (leads || asked.length === 0); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(asked).toEqual([KEY]);
    await notifier?.stop(5_000);
    if (!leads) {
      expect(server.bodies).toEqual([]);
      return;
    }
    expect(server.bodies).toMatchObject([
      {
        kind: "wait",
        phase: "Draining",
        reason: "OldActive",
        message: "calls still active at reviews@v1",
        waitedSeconds: expect.any(Number) as number,
      },
    ]);
    expect((server.bodies[0] as { waitedSeconds: number }).waitedSeconds).toBeGreaterThanOrEqual(1);
  });
});
