/**
 * The API's status stream (SSE) against a real server: the current view first, one event per
 * stored change, keep-alive comments, and the end of the stream at a terminal phase.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSse } from "../cli/sse.js";
import { startApiFixture, TEST_TOKEN, writeStatus, type ApiFixture } from "../cli/testing/api-fixture.js";
import { initialStatus } from "../engine/status.js";
import { delegatingStore } from "../local/testing/delegating-store.js";
import { FileUpgradeStore } from "../local/file-upgrade-store.js";
import type { UpgradeRecord } from "../ports/upgrade-store.js";
import { createApi } from "./server.js";
import type { UpgradeView } from "./view.js";

describe("GET /v1/upgrades/:id/events", () => {
  let api: ApiFixture;
  beforeAll(async () => {
    api = await startApiFixture({ keepAliveMs: 50 });
  });
  afterAll(async () => {
    await api.close();
  });

  const create = async (name: string, service: string): Promise<void> => {
    const res = await fetch(`${api.url}/v1/upgrades`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${api.token}` },
      body: JSON.stringify({ name, spec: { services: [{ name: service, from: "v1", to: "v2" }] } }),
    });
    expect(res.status).toBe(201);
  };

  it("streams each status change and ends when the upgrade reaches a terminal phase", async () => {
    await create("stream", "stream-service");
    const res = await fetch(`${api.url}/v1/upgrades/stream/events`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const events = readSse(res.body!);
    const next = async (): Promise<UpgradeView> => {
      const { value, done } = await events.next();
      expect(done).toBe(false);
      expect(value!.event).toBe("status");
      return JSON.parse(value!.data) as UpgradeView;
    };

    expect((await next()).status.phase).toBe("Validating");
    await writeStatus(api.store, "stream", { phase: "Shifting", stage: "setWeight", weight: 10, step: 0 });
    const shifting = await next();
    expect(shifting.status).toMatchObject({ phase: "Shifting", stage: "setWeight", weight: 10, step: 0 });
    expect(shifting).not.toHaveProperty("status.engine");

    // Another upgrade's changes are not this stream's business.
    await create("elsewhere", "other-service");
    await writeStatus(api.store, "elsewhere", { phase: "Preparing" });

    await writeStatus(api.store, "stream", { phase: "RolledBack", stage: "done", weight: 0 });
    expect((await next()).status.phase).toBe("RolledBack");
    expect((await events.next()).done).toBe(true);
  });

  it("sends keep-alive comments while nothing changes", async () => {
    await create("quiet", "quiet-service");
    const res = await fetch(`${api.url}/v1/upgrades/quiet/events`);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes(": keep-alive")) {
      const { value, done } = await reader.read();
      expect(done).toBe(false);
      text += decoder.decode(value, { stream: true });
    }
    await reader.cancel();
  });

  it("sends one event and ends at once for an upgrade that has already ended", async () => {
    await create("ended", "ended-service");
    await writeStatus(api.store, "ended", { phase: "Succeeded", stage: "done" });
    const res = await fetch(`${api.url}/v1/upgrades/ended/events`);
    const all = [];
    for await (const event of readSse(res.body!)) all.push(JSON.parse(event.data) as UpgradeView);
    expect(all.map((v) => v.status.phase)).toEqual(["Succeeded"]);
  });

  it("stops watching the store when the client goes away", async () => {
    await create("left", "left-service");
    const watchers = (api.store as unknown as { watchers: Set<unknown> }).watchers;
    const before = watchers.size;
    const res = await fetch(`${api.url}/v1/upgrades/left/events`);
    const reader = res.body!.getReader();
    await reader.read();
    expect(watchers.size).toBe(before + 1);
    await reader.cancel();
    await expect.poll(() => watchers.size, { timeout: 5_000 }).toBe(before);
  });
});

describe("GET /v1/upgrades/:id/events over a store with slow reads", () => {
  /**
   * A remote store (the Kubernetes API) answers a read after a round trip; a change can land
   * meanwhile. The stream must still deliver it: here the change is the terminal one, and a
   * stream that missed it would never end.
   */
  it("does not lose a change made while the first read is in flight", async () => {
    const inner = await FileUpgradeStore.open();
    let onRead: (() => Promise<void>) | undefined;
    const store = delegatingStore(inner, {
      get: async (key) => {
        const record = await inner.get(key);
        const hook = onRead;
        onRead = undefined;
        await hook?.();
        return record;
      },
    });
    const created: UpgradeRecord = await inner.create({
      namespace: "default",
      name: "racy",
      spec: { services: [{ name: "racy-service", from: "v1", to: "v2" }] },
      status: initialStatus(0),
      createdAt: 0,
    });
    const server = createServer(createApi({ store, token: TEST_TOKEN, logger: pino({ level: "silent" }) }));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      onRead = async () => {
        await inner.updateStatus(created, created.resourceVersion, { ...created.status, phase: "Succeeded" });
      };
      const res = await fetch(
        `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/upgrades/racy/events`,
      );
      const phases: string[] = [];
      for await (const event of readSse(res.body!))
        phases.push((JSON.parse(event.data) as UpgradeView).status.phase);
      expect(phases.at(-1)).toBe("Succeeded");
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await inner.close();
    }
  });
});
