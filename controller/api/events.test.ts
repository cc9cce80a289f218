/**
 * The API's status stream (SSE) against a real server: the current view first, one event per
 * stored change, keep-alive comments, the end of the stream at a terminal phase, and its
 * limits: the cap on open streams, coalescing for a client that does not read, idle close.
 */
import { once } from "node:events";
import { createServer } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSse } from "../cli/sse.js";
import { startApiFixture, TEST_TOKEN, writeStatus, type ApiFixture } from "../cli/testing/api-fixture.js";
import { initialStatus } from "../engine/status.js";
import { delegatingStore } from "../local/testing/delegating-store.js";
import { FileUpgradeStore } from "../local/file-upgrade-store.js";
import type { UpgradeRecord } from "../ports/upgrade-store.js";
import { createApi } from "./server.js";
import { startApiServer, type ApiServer } from "./testing/api-server.js";
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

describe("status stream limits (ADR 0088)", () => {
  let api: ApiServer;
  const MAX = 4;
  beforeAll(async () => {
    api = await startApiServer({ keepAliveMs: 50, streams: { maxStreams: MAX, retryAfterSeconds: 7 } });
    await api.create("capped", "capped-service");
  });
  afterAll(async () => {
    await api.close();
  });

  /** Opens a stream and reads its first event, so the stream is known to be open. */
  const open = async (): Promise<ReadableStreamDefaultReader<Uint8Array>> => {
    const res = await fetch(`${api.url}/v1/upgrades/capped/events`);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    return reader;
  };

  it("answers the stream beyond the cap 503 with Retry-After, and /healthz still answers", async () => {
    const readers = [];
    for (let i = 0; i < MAX; i++) readers.push(await open());

    const refused = await fetch(`${api.url}/v1/upgrades/capped/events`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("7");
    expect(await refused.json()).toEqual({
      error: expect.stringMatching(/too many status streams.*\(4\).*7 s/),
    });

    const health = await fetch(`${api.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });

    // A stream that ends gives its slot back.
    await readers.pop()!.cancel();
    await expect
      .poll(async () => {
        const res = await fetch(`${api.url}/v1/upgrades/capped/events`);
        await res.body?.cancel();
        return res.status;
      })
      .toBe(200);
    for (const reader of readers) await reader.cancel();
  });
});

describe("a status stream to a client that does not read (ADR 0088)", () => {
  let api: ApiServer;
  beforeAll(async () => {
    api = await startApiServer();
    await api.create("slow", "slow-service");
  });
  afterAll(async () => {
    await api.close();
  });

  it("keeps only the newest event while the socket is full, and delivers it once the client reads", async () => {
    const client = connect(api.port, "127.0.0.1");
    await once(client, "connect");
    let received = "";
    client.setEncoding("utf8");
    client.on("data", (chunk: string) => (received += chunk));
    client.write("GET /v1/upgrades/slow/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    await expect.poll(() => received.includes("event: status")).toBe(true);
    client.pause();
    const server = api.sockets.find((s) => s.remotePort === client.localPort)!;
    expect(server).toBeDefined();

    // 40 events of 256 KB: 10 MB, well beyond what the kernel buffers on loopback.
    const EVENTS = 40;
    const padding = "x".repeat(256 * 1024);
    let mostBuffered = 0;
    for (let step = 0; step < EVENTS; step++) {
      await writeStatus(api.store, "slow", {
        phase: "Shifting",
        step,
        conditions: [
          { type: "Waiting", status: "True", reason: `Step${step}`, message: padding, lastTransitionTime: 0 },
        ],
      });
      await new Promise((resolve) => setImmediate(resolve));
      mostBuffered = Math.max(mostBuffered, server.writableLength);
    }
    // At most the event in flight and the socket's high-water mark; never the backlog.
    expect(mostBuffered).toBeLessThan(2 * padding.length + 64 * 1024);

    client.resume();
    await expect
      .poll(() => received.includes(`"reason":"Step${EVENTS - 1}"`), { timeout: 10_000 })
      .toBe(true);
    const delivered = received.split("event: status").length - 1;
    expect(delivered).toBeLessThan(EVENTS + 1);
    client.destroy();
  });

  it("still delivers the terminal event that arrives while the socket is full, then ends", async () => {
    await api.create("ending", "ending-service");
    const client = connect(api.port, "127.0.0.1");
    await once(client, "connect");
    let received = "";
    client.setEncoding("utf8");
    client.on("data", (chunk: string) => (received += chunk));
    client.write("GET /v1/upgrades/ending/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    await expect.poll(() => received.includes("event: status")).toBe(true);
    client.pause();
    const padding = "x".repeat(256 * 1024);
    for (let step = 0; step < 30; step++) {
      await writeStatus(api.store, "ending", {
        phase: "Shifting",
        step,
        conditions: [
          { type: "Waiting", status: "True", reason: "Busy", message: padding, lastTransitionTime: 0 },
        ],
      });
    }
    await writeStatus(api.store, "ending", { phase: "RolledBack", stage: "done", conditions: [] });
    client.resume();
    // The chunked body's last chunk: the response ended (the connection itself is kept alive).
    await expect.poll(() => received.endsWith("\r\n0\r\n\r\n"), { timeout: 10_000 }).toBe(true);
    const events = received.split("event: status\n");
    expect(events.at(-1)).toMatch(/"phase":"RolledBack"/);
    client.destroy();
  });
});

describe("idle status streams (ADR 0088)", () => {
  let api: ApiServer;
  beforeAll(async () => {
    api = await startApiServer({ keepAliveMs: 20, streams: { maxStreams: 1, idleMs: 300 } });
    await api.create("idle", "idle-service");
  });
  afterAll(async () => {
    await api.close();
  });

  it("closes a stream that had nothing to send for the idle time, heartbeats notwithstanding", async () => {
    const started = Date.now();
    const res = await fetch(`${api.url}/v1/upgrades/idle/events`);
    const phases: string[] = [];
    // readSse (the CLI's reader) skips the heartbeats that arrive every 20 ms.
    for await (const event of readSse(res.body!))
      phases.push((JSON.parse(event.data) as UpgradeView).status.phase);
    expect(phases).toEqual(["Validating"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    // Its slot is free again: the cap is 1.
    const again = await fetch(`${api.url}/v1/upgrades/idle/events`);
    expect(again.status).toBe(200);
    await again.body?.cancel();
  });
});
