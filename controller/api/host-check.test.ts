/**
 * The Host check (ADR 0088) against a real server: /v1 answers only to the names the API is
 * known by, so a page that rebinds its own name to 127.0.0.1 cannot read the status.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostNameOf } from "./host-check.js";
import { startApiServer, type ApiServer } from "./testing/api-server.js";
import { rawRequest } from "./testing/raw-request.js";

describe("hostNameOf", () => {
  it.each([
    ["localhost:7070", "localhost"],
    ["LOCALHOST", "localhost"],
    ["127.0.0.1:1", "127.0.0.1"],
    ["[::1]:7070", "[::1]"],
    ["[::1]", "[::1]"],
    ["evil.example", "evil.example"],
    ["localhost:port", undefined],
    ["::1", undefined],
    ["user@localhost", undefined],
    ["", undefined],
  ])("%j → %j", (header, expected) => {
    expect(hostNameOf(header)).toBe(expected);
  });
});

describe("the Host check", () => {
  let api: ApiServer;
  let configured: ApiServer;
  beforeAll(async () => {
    api = await startApiServer();
    await api.create("hosted", "hosted-service");
    configured = await startApiServer({ allowedHosts: ["tranquil.tranquil-system.svc", "::1"] });
  });
  afterAll(async () => {
    await api.close();
    await configured.close();
  });

  it.each(["/v1/upgrades", "/v1/upgrades/hosted", "/v1/upgrades/hosted/events"])(
    "refuses GET %s with Host: evil.example (421 and a clear message)",
    async (path) => {
      const res = await rawRequest(api.port, { path, headers: { host: "evil.example" } });
      expect(res.status).toBe(421);
      expect(JSON.parse(res.body)).toEqual({
        error: expect.stringMatching(
          /answers only to localhost, 127\.0\.0\.1, \[::1\] \(any port\), not to Host "evil\.example".*allowed hosts/,
        ),
      });
      expect(res.body).not.toContain("hosted-service");
    },
  );

  it("refuses a rebinding name with the API's own port, and a POST too", async () => {
    const get = await rawRequest(api.port, {
      path: "/v1/upgrades",
      headers: { host: `evil.example:${api.port}` },
    });
    expect(get.status).toBe(421);
    const post = await rawRequest(api.port, {
      method: "POST",
      path: "/v1/upgrades/hosted/pause",
      headers: { host: "evil.example", authorization: `Bearer ${api.token}` },
    });
    expect(post.status).toBe(421);
  });

  it.each(["localhost", "localhost:7070", "127.0.0.1", "127.0.0.1:9", "[::1]", "[::1]:7070"])(
    "answers Host: %s",
    async (host) => {
      const res = await rawRequest(api.port, { path: "/v1/upgrades/hosted", headers: { host } });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ name: "hosted" });
    },
  );

  it("leaves /healthz and /readyz to probes, which use the pod's address", async () => {
    for (const path of ["/healthz", "/readyz"]) {
      expect((await rawRequest(api.port, { path, headers: { host: "10.1.2.3:7070" } })).status).toBe(200);
    }
  });

  it("answers the configured names only, once a list is given", async () => {
    const named = await rawRequest(configured.port, {
      path: "/v1/upgrades",
      headers: { host: "tranquil.tranquil-system.svc:7070" },
    });
    expect(named.status).toBe(200);
    expect(
      (await rawRequest(configured.port, { path: "/v1/upgrades", headers: { host: "[::1]" } })).status,
    ).toBe(200);
    const loopback = await rawRequest(configured.port, {
      path: "/v1/upgrades",
      headers: { host: "localhost" },
    });
    expect(loopback.status).toBe(421);
    expect(loopback.body).toMatch(/answers only to tranquil\.tranquil-system\.svc, \[::1\]/);
  });

  it("bounds a long Host in its message", async () => {
    const res = await rawRequest(api.port, {
      path: "/v1/upgrades",
      headers: { host: `${"a".repeat(5000)}.example` },
    });
    expect(res.status).toBe(421);
    expect(res.body.length).toBeLessThan(500);
    expect(res.body).toContain("…");
  });
});
