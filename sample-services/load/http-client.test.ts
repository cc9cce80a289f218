import { createServer, type IncomingHttpHeaders } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoadHttpClient } from "./http-client.js";

describe("LoadHttpClient", () => {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    if (req.url === "/mixed") {
      res.writeHead(409, { "content-type": "application/json", "x-request-id": "r-9" });
      res.end(
        JSON.stringify({
          error: { message: "two versions" },
          servedBy: ["api@v1", "auth-service@v1", "auth-service@v2"],
        }),
      );
      return;
    }
    if (req.url === "/text") {
      res.writeHead(200, { "x-served-by": "api@v1,order-service@v2" });
      res.end("plain");
      return;
    }
    res
      .writeHead(201, { "content-type": "application/json" })
      .end(JSON.stringify({ ok: true, servedBy: ["api@v1"] }));
  });
  let client: LoadHttpClient;
  let base: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const addr = server.address();
    if (addr === null || typeof addr === "string") throw new Error("no port");
    base = `http://127.0.0.1:${addr.port}`;
    client = new LoadHttpClient(base, {
      now: () => 42,
      timeoutMs: 5_000,
      headers: { host: "logistics.example" },
      maxSockets: 2,
    });
  });
  afterAll(async () => {
    client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("sends the configured Host header, a JSON body and the token", async () => {
    const { record, body } = await client.send(
      { journey: 1, kind: "create-order", method: "POST", path: "/orders", body: { a: 1 }, token: "t" },
      new AbortController().signal,
    );
    expect(body).toEqual({ ok: true, servedBy: ["api@v1"] });
    expect(record).toMatchObject({
      journey: 1,
      kind: "create-order",
      status: 201,
      ok: true,
      startedAt: 42,
      servedBy: ["api@v1"],
      mixed: {},
    });
    expect(seen.at(-1)).toMatchObject({
      host: "logistics.example",
      authorization: "Bearer t",
      "content-type": "application/json",
    });
  });

  it("records a failed, mixed transaction with its message and request id", async () => {
    const { record } = await client.send(
      { journey: 2, kind: "create-order", method: "POST", path: "/mixed" },
      new AbortController().signal,
    );
    expect(record).toMatchObject({
      status: 409,
      ok: false,
      error: "two versions",
      requestId: "r-9",
      mixed: { "auth-service": ["v1", "v2"] },
    });
  });

  it("falls back to the x-served-by header, and records a network failure as status 0", async () => {
    const { record } = await client.send(
      { journey: 3, kind: "catalog", method: "GET", path: "/text" },
      new AbortController().signal,
    );
    expect(record.servedBy).toEqual(["api@v1", "order-service@v2"]);
    const dead = new LoadHttpClient("http://127.0.0.1:1", {
      now: Date.now,
      timeoutMs: 2_000,
      headers: {},
      maxSockets: 1,
    });
    const failed = await dead.send(
      { journey: 4, kind: "catalog", method: "GET", path: "/items" },
      new AbortController().signal,
    );
    dead.close();
    expect(failed.record).toMatchObject({ status: 0, ok: false, servedBy: [] });
    expect(failed.record.error).toMatch(/GET \/items got no response/);
  });
});
