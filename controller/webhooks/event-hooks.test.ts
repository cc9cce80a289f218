import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UpgradeRef } from "../ports/router.js";
import { EventHooks } from "./event-hooks.js";
import { HttpWebhooks } from "./http-webhooks.js";
import { startGateServer, type GateServer } from "./testing/gate-server.js";

describe("EventHooks", () => {
  let gate: GateServer;
  beforeAll(async () => {
    gate = await startGateServer();
    gate.slowMs = 300;
    gate.answers.set("audit", "slow");
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
          { name: "audit", type: "event", url: `${gate.url}/gate/audit`, metadata: { team: "shop" } },
          { name: "qa", type: "confirm-promotion", url: `${gate.url}/gate/qa` },
        ],
      },
    },
  });

  it("tells each event to the event gates only, in the background, bounded", async () => {
    const hooks = new EventHooks(new HttpWebhooks(), pino({ level: "silent" }), 2);
    const started = Date.now();
    for (const reason of ["PhaseChanged", "Waiting", "WebhookNo"])
      hooks.tell(upgrade(), "Shifting", { type: "Normal", reason, message: `a ${reason}`, at: 0 });
    // A slow gate never holds the caller: the calls run on after tell returned.
    expect(Date.now() - started).toBeLessThan(100);
    await hooks.idle();
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    // The third event found two calls in flight (the bound) and was dropped.
    expect(gate.callsOf("audit").map((c) => c.body)).toEqual([
      expect.objectContaining({
        name: "auth-v2",
        phase: "Shifting",
        type: "event",
        metadata: {
          team: "shop",
          eventMessage: "a PhaseChanged",
          eventType: "Normal",
          eventReason: "PhaseChanged",
          timestamp: "1970-01-01T00:00:00.000Z",
        },
      }),
      expect.objectContaining({ metadata: expect.objectContaining({ eventReason: "Waiting" }) as unknown }),
    ]);
    expect(gate.callsOf("qa")).toEqual([]);
  });
});
