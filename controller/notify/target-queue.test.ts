/**
 * One target's queue and sender against real HTTP servers on loopback: notifications arrive
 * in order; a target that is down gets exactly `maxAttempts` attempts per notification and is
 * then counted failed, never retried again; a refusal (4xx) is not retried; a full queue drops
 * its oldest, counted; pushing never waits, even while the target hangs; and a stop flushes
 * what is queued within its deadline, then cuts the rest off as dropped.
 */
import { Writable } from "node:stream";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { postJson } from "./http-post.js";
import type { Notification } from "./notification.js";
import { NotifyMetrics } from "./notify-metrics.js";
import { webhookPayload } from "./payloads.js";
import { TargetQueue, type DeliveryPolicy } from "./target-queue.js";
import {
  notificationCounts,
  startWebhookServer,
  type Answer,
  type WebhookServer,
} from "./testing/webhook-server.js";

const FAST: DeliveryPolicy = { queueCapacity: 10, maxAttempts: 3, attemptTimeoutMs: 2_000, backoffMs: 5 };

const notification = (i: number): Notification => ({
  kind: "phase",
  upgrade: `u${i}`,
  namespace: "default",
  phase: "Shifting",
  previousPhase: "Preparing",
  severity: "Normal",
  reason: "PhaseChanged",
  message: `Preparing → Shifting (${i})`,
  at: Date.UTC(2026, 11, 4) + i,
});

let servers: WebhookServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function setUp(answer: Answer, policy: Partial<DeliveryPolicy> = {}) {
  const server = await startWebhookServer(answer);
  servers.push(server);
  const registry = new Registry();
  const lines: { msg: string; level: number }[] = [];
  const sink = new Writable({
    write: (chunk: Buffer, _enc, done) => {
      lines.push(JSON.parse(chunk.toString("utf8")) as { msg: string; level: number });
      done();
    },
  });
  const queue = new TargetQueue({
    name: "webhook-1",
    url: server.url,
    encode: webhookPayload,
    policy: { ...FAST, ...policy },
    post: postJson,
    metrics: new NotifyMetrics(registry),
    logger: pino({ level: "info" }, sink),
  });
  return { server, registry, queue, lines, counts: () => notificationCounts(registry, "webhook-1") };
}

describe("TargetQueue", () => {
  it("delivers every notification once, in order", async () => {
    const { server, queue, counts } = await setUp(() => 200);
    for (let i = 1; i <= 5; i++) queue.push(notification(i));
    await queue.close(5_000);
    expect(server.bodies.map((b) => (b as { upgrade: string }).upgrade)).toEqual([
      "u1",
      "u2",
      "u3",
      "u4",
      "u5",
    ]);
    expect(await counts()).toEqual({ sent: 5, failed: 0, dropped: 0 });
  });

  it("tries a target that is down maxAttempts times per notification, then counts it failed and stops", async () => {
    const { server, queue, counts, lines } = await setUp(() => 503);
    queue.push(notification(1));
    queue.push(notification(2));
    await queue.close(5_000);
    expect(server.requests()).toBe(6);
    // Each failure is logged, at warn, naming the target and the last error, never the URL.
    const failures = lines.filter((l) => l.msg.startsWith("notification target did not take"));
    expect(failures).toMatchObject([
      { level: 40, target: "webhook-1", attempts: 3, error: "HTTP 503", upgrade: "default/u1" },
      { level: 40, target: "webhook-1", attempts: 3, error: "HTTP 503", upgrade: "default/u2" },
    ]);
    expect(JSON.stringify(lines)).not.toContain(server.url);
    expect(await counts()).toEqual({ sent: 0, failed: 2, dropped: 0 });
    // Nothing is tried again later.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.requests()).toBe(6);
  });

  it("gives up on a target whose port is closed after maxAttempts", async () => {
    const { server, queue, counts } = await setUp(() => 200);
    await server.close();
    servers = [];
    queue.push(notification(1));
    await queue.close(5_000);
    expect(await counts()).toEqual({ sent: 0, failed: 1, dropped: 0 });
  });

  it("retries a 5xx and counts the notification sent once a later attempt passes", async () => {
    const { server, queue, counts } = await setUp((n) => (n < 3 ? 500 : 200));
    queue.push(notification(1));
    await queue.close(5_000);
    expect(server.requests()).toBe(3);
    expect(await counts()).toEqual({ sent: 1, failed: 0, dropped: 0 });
  });

  it("does not retry a refusal (404)", async () => {
    const { server, queue, counts } = await setUp(() => 404);
    queue.push(notification(1));
    await queue.close(5_000);
    expect(server.requests()).toBe(1);
    expect(await counts()).toEqual({ sent: 0, failed: 1, dropped: 0 });
  });

  it("times an attempt out, so a hung target costs maxAttempts × the timeout at most", async () => {
    const { server, queue, counts } = await setUp(() => "hang", { attemptTimeoutMs: 50, maxAttempts: 2 });
    queue.push(notification(1));
    await queue.close(5_000);
    expect(server.requests()).toBe(2);
    expect(await counts()).toEqual({ sent: 0, failed: 1, dropped: 0 });
  });

  it("never waits on push: 1,000 pushes at a hung target keep the newest, drop the oldest, counted", async () => {
    const { server, queue, counts, lines } = await setUp(() => "hang", { attemptTimeoutMs: 60_000 });
    for (let i = 1; i <= 1_000; i++) queue.push(notification(i));
    // 989 drops in a row are logged once per hundred, not once each.
    expect(
      lines.filter((l) => l.msg === "notification queue full; dropped its oldest notification"),
    ).toHaveLength(10);
    // All pushed with no await between them: one is in flight, ten wait, the rest were dropped.
    expect(queue.depth).toBe(FAST.queueCapacity);
    expect(await counts()).toEqual({ sent: 0, failed: 0, dropped: 1_000 - 1 - FAST.queueCapacity });
    await queue.close(100);
    // The deadline cut the one in flight and the queued ones off: every notification is counted.
    expect(await counts()).toEqual({ sent: 0, failed: 0, dropped: 1_000 });
    expect(server.requests()).toBe(1);
    expect((server.bodies[0] as { upgrade: string }).upgrade).toBe("u1");
  });

  it("counts a notification pushed after close as dropped", async () => {
    const { server, queue, counts } = await setUp(() => 200);
    await queue.close(1_000);
    queue.push(notification(1));
    expect(await counts()).toEqual({ sent: 0, failed: 0, dropped: 1 });
    expect(server.requests()).toBe(0);
  });
});
