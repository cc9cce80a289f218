import { createServer, type Server } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postWebhook } from "./webhook-client.js";
import { startGateServer, type GateServer } from "./testing/gate-server.js";

describe("postWebhook against a real HTTP server", () => {
  let gate: GateServer;
  let notHttp: Server;
  let notHttpUrl = "";
  const peers = new Set<Socket>();
  beforeAll(async () => {
    gate = await startGateServer();
    gate.slowMs = 1_500;
    gate.answers.set("no", "no");
    gate.answers.set("slow", "slow");
    gate.answers.set("garbage", "garbage");
    gate.answers.set("reset", "reset");
    gate.answers.set("flaky", "flaky");
    // A peer that does not speak HTTP at all.
    notHttp = createServer((socket) => socket.end("220 smtp.example ESMTP ready\r\n"));
    notHttp.on("connection", (socket) => {
      peers.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => peers.delete(socket));
    });
    await new Promise<void>((resolve) => notHttp.listen(0, "127.0.0.1", resolve));
    notHttpUrl = `http://127.0.0.1:${(notHttp.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await gate.stop();
    for (const socket of peers) socket.destroy();
    await new Promise<void>((resolve) => notHttp.close(() => resolve()));
  });

  const call = (name: string, options: { retries?: number; timeoutMs?: number; token?: string } = {}) =>
    postWebhook(
      `${gate.url}/gate/${name}`,
      { name: "reviews-v2", phase: "Shifting" },
      {
        timeoutMs: options.timeoutMs ?? 1_000,
        retries: options.retries ?? 0,
        backoffMs: 20,
        ...(options.token !== undefined ? { token: options.token } : {}),
      },
    );

  it("a 2xx is a yes; the JSON payload and the bearer token arrive", async () => {
    expect(await call("yes", { token: "s3cret" })).toEqual({ yes: true, message: "said yes: HTTP 200" });
    expect(gate.callsOf("yes").at(-1)).toMatchObject({
      authorization: "Bearer s3cret",
      body: { name: "reviews-v2", phase: "Shifting" },
    });
  });

  it("another status is a no, with the answer's own words, and is not retried", async () => {
    const before = gate.callsOf("no").length;
    expect(await call("no", { retries: 3 })).toEqual({
      yes: false,
      message: "said no: HTTP 403 (no has not signed off)",
    });
    expect(gate.callsOf("no").length - before).toBe(1);
  });

  it("a slow gate times out per attempt, and the retries are bounded and counted", async () => {
    const started = Date.now();
    const before = gate.callsOf("slow").length;
    const outcome = await call("slow", { timeoutMs: 300, retries: 1 });
    expect(outcome).toEqual({ yes: false, message: "did not answer: timed out after 300ms (2 attempts)" });
    expect(gate.callsOf("slow").length - before).toBe(2);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it("a body that claims JSON and is not is garbage: a no", async () => {
    const outcome = await call("garbage");
    expect(outcome.yes).toBe(false);
    expect(outcome.message).toMatch(/^answered garbage: HTTP 200 with a body that is not JSON/);
  });

  it("a reset connection is retried, then a no that says so", async () => {
    const before = gate.callsOf("reset").length;
    const outcome = await call("reset", { retries: 2 });
    expect(outcome.yes).toBe(false);
    expect(outcome.message).toMatch(/^did not answer: .*\(3 attempts\)$/);
    expect(outcome.message).toMatch(/reset|UND_ERR_SOCKET|ECONNRESET|other side closed/);
    expect(gate.callsOf("reset").length - before).toBe(3);
  });

  it("a peer that does not speak HTTP is garbage", async () => {
    const outcome = await postWebhook(notHttpUrl, {}, { timeoutMs: 1_000, retries: 2, backoffMs: 20 });
    expect(outcome.yes).toBe(false);
    expect(outcome.message).toMatch(
      /^answered garbage: not HTTP \((HPE_[A-Z_]+|Response does not match the HTTP\/1.1 protocol.*)\)$/,
    );
  });

  it("a 503 is retried with backoff until the gate answers", async () => {
    expect(await call("flaky", { retries: 2 })).toEqual({ yes: true, message: "said yes: HTTP 200" });
    expect(gate.callsOf("flaky").length).toBe(3);
  });

  it("a refused connection is a no that names the cause", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const outcome = await postWebhook(
      `http://127.0.0.1:${port}/`,
      {},
      { timeoutMs: 500, retries: 1, backoffMs: 10 },
    );
    expect(outcome).toMatchObject({ yes: false });
    expect(outcome.message).toMatch(/^did not answer: ECONNREFUSED .*\(2 attempts\)$/);
  });
});
