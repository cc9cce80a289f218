import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UpgradeRef } from "../ports/router.js";
import type { WebhookSpec } from "../upgrade-spec/schema.js";
import { FileTokens } from "./file-tokens.js";
import { HttpWebhooks, releaseChecksum } from "./http-webhooks.js";
import { startGateServer, type GateServer } from "./testing/gate-server.js";

const upgrade: UpgradeRef = {
  id: "reviews-v2",
  namespace: "shop",
  spec: { services: [{ name: "reviews", from: "v1", to: "v2" }] },
};

describe("HttpWebhooks", () => {
  let gate: GateServer;
  let dir = "";
  beforeAll(async () => {
    gate = await startGateServer();
    dir = await mkdtemp(join(tmpdir(), "tranquil-secrets-"));
    await mkdir(join(dir, "qa-token"));
    await writeFile(join(dir, "qa-token", "token"), "t0ken-from-a-file\n");
  });
  afterAll(async () => {
    await gate.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const hook = (extra: Partial<WebhookSpec> = {}): WebhookSpec => ({
    name: "qa",
    type: "confirm-promotion",
    url: `${gate.url}/gate/qa`,
    timeout: "2s",
    metadata: { team: "shop" },
    ...extra,
  });

  it("sends Flagger's payload with the gate's metadata, and the token from the secrets directory", async () => {
    const webhooks = new HttpWebhooks({ tokens: new FileTokens(dir) });
    const outcome = await webhooks.call(upgrade, hook({ secretRef: { name: "qa-token" } }), "Shifting");
    expect(outcome).toEqual({ yes: true, message: "said yes: HTTP 200" });
    expect(gate.callsOf("qa").at(-1)).toEqual({
      name: "qa",
      at: expect.any(Number) as number,
      authorization: "Bearer t0ken-from-a-file",
      body: {
        name: "reviews-v2",
        namespace: "shop",
        phase: "Shifting",
        checksum: releaseChecksum(upgrade.spec),
        type: "confirm-promotion",
        metadata: { team: "shop" },
      },
    });
    expect(releaseChecksum(upgrade.spec)).toMatch(/^[0-9a-f]{16}$/);
  });

  it("merges an event's fields into the metadata; sends no Authorization without a secretRef", async () => {
    await new HttpWebhooks().call(upgrade, hook({ type: "event" }), "Draining", {
      eventReason: "PhaseChanged",
    });
    expect(gate.callsOf("qa").at(-1)).toMatchObject({
      authorization: undefined,
      body: { phase: "Draining", type: "event", metadata: { team: "shop", eventReason: "PhaseChanged" } },
    });
  });

  it("does not call a gate whose token cannot be read, and says why", async () => {
    const before = gate.callsOf("qa").length;
    const missing = await new HttpWebhooks({ tokens: new FileTokens(dir) }).call(
      upgrade,
      hook({ secretRef: { name: "nope", key: "bearer" } }),
      "Shifting",
    );
    expect(missing).toEqual({
      yes: false,
      message: `was not called: no bearer token from secret shop/nope key bearer: ${join(dir, "nope", "bearer")} does not exist`,
    });
    const unconfigured = await new HttpWebhooks().call(
      upgrade,
      hook({ secretRef: { name: "qa-token" } }),
      "Shifting",
    );
    expect(unconfigured.message).toBe(
      "was not called: no token source for secret shop/qa-token key token is configured",
    );
    expect(gate.callsOf("qa").length).toBe(before);
  });
});
