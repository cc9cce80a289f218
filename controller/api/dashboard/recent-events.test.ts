/**
 * GET /v1/upgrades/:name/recent-events on the real API: the recorded Events of the Upgrade
 * named (oldest first, at most RECENT_EVENTS_MAX), 404 for an unknown one, `kept: false`
 * from a controller that keeps none, and the Host check of every read.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UpgradeEventNote } from "../../ports/events.js";
import { keyString, type UpgradeKey } from "../../ports/upgrade-store.js";
import { startApiServer, type ApiServer } from "../testing/api-server.js";
import { rawRequest } from "../testing/raw-request.js";
import { RECENT_EVENTS_MAX } from "./recent-events.js";

describe("GET /v1/upgrades/:name/recent-events", () => {
  let api: ApiServer;
  let none: ApiServer;
  const asked: string[] = [];
  const note = (i: number): UpgradeEventNote => ({
    type: "Normal",
    reason: "Shifting",
    message: `n${i}`,
    at: i,
  });
  beforeAll(async () => {
    api = await startApiServer({
      recentEvents: (key: UpgradeKey) => {
        asked.push(keyString(key));
        return Array.from({ length: RECENT_EVENTS_MAX + 5 }, (_, i) => note(i));
      },
    });
    await api.create("auth-v2", "auth-service");
    none = await startApiServer();
    await none.create("auth-v2", "auth-service");
  });
  afterAll(async () => {
    await api.close();
    await none.close();
  });

  it("answers the Upgrade's recorded Events, the newest RECENT_EVENTS_MAX, oldest first, without a token", async () => {
    const res = await fetch(`${api.url}/v1/upgrades/auth-v2/recent-events`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { kept: boolean; events: UpgradeEventNote[] };
    expect(body.kept).toBe(true);
    expect(body.events).toHaveLength(RECENT_EVENTS_MAX);
    expect(body.events[0]).toEqual(note(5));
    expect(body.events.at(-1)).toEqual(note(RECENT_EVENTS_MAX + 4));
    expect(asked).toContain("default/auth-v2");
  });

  it("404 for an Upgrade that does not exist, as GET /v1/upgrades/:name", async () => {
    const res = await fetch(`${api.url}/v1/upgrades/nope/recent-events?namespace=shop`);
    expect(res.status).toBe(404);
  });

  it("kept: false from a controller that keeps no Events of its own", async () => {
    const res = await fetch(`${none.url}/v1/upgrades/auth-v2/recent-events`);
    expect(await res.json()).toEqual({ kept: false, events: [] });
  });

  it("answers only to the API's names", async () => {
    const res = await rawRequest(api.port, {
      path: "/v1/upgrades/auth-v2/recent-events",
      headers: { host: "evil.example" },
    });
    expect(res.status).toBe(421);
  });
});
