/**
 * The HTTP API against a real server on port 0 over a FileUpgradeStore: bearer-token auth on
 * every mutating route, and JSON errors (404, 400 with problems, 409).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApiFixture, writeStatus, type ApiFixture } from "../cli/testing/api-fixture.js";
import { rawRequest } from "./testing/raw-request.js";

const spec = (name: string, extra: Record<string, unknown> = {}) => ({
  services: [{ name, from: "v1", to: "v2" }],
  ...extra,
});

describe("HTTP API", () => {
  let api: ApiFixture;
  let notReady: readonly string[] = [];
  beforeAll(async () => {
    api = await startApiFixture({ notReady: () => notReady });
  });
  afterAll(async () => {
    await api.close();
  });

  const post = (path: string, body: unknown, token?: string) =>
    fetch(`${api.url}${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
    });
  const get = (path: string) => fetch(`${api.url}${path}`);

  it("answers /healthz", async () => {
    const res = await get("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it("answers /readyz with 200 when ready, else 503 and the reasons", async () => {
    notReady = [];
    const ready = await get("/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, reasons: [] });
    notReady = ["the Upgrade watch failed: connect ECONNREFUSED 127.0.0.1:6443; retrying"];
    const held = await get("/readyz");
    expect(held.status).toBe(503);
    expect(await held.json()).toEqual({ ready: false, reasons: notReady });
    notReady = [];
  });

  describe("auth", () => {
    const routes = [
      "/v1/upgrades",
      ...["pause", "resume", "promote", "abort"].map((v) => `/v1/upgrades/auth-guard/${v}`),
    ];

    beforeAll(async () => {
      expect(
        (await post("/v1/upgrades", { name: "auth-guard", spec: spec("guarded-service") }, api.token)).status,
      ).toBe(201);
    });

    it.each(routes)("POST %s without a token is 401 with a JSON message", async (path) => {
      const res = await post(path, { name: "auth-other", spec: spec("other-service") });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(await res.json()).toEqual({
        error: expect.stringMatching(/bearer token.*--token.*TRANQUIL_TOKEN/),
      });
    });

    it.each(routes)("POST %s with a wrong token is 401", async (path) => {
      const res = await post(
        path,
        { name: "auth-other", spec: spec("other-service") },
        "wrong-token-0123456789",
      );
      expect(res.status).toBe(401);
      expect(JSON.stringify(await res.json())).not.toContain(api.token);
    });

    it("accepts the right token on every mutating route", async () => {
      const created = await post("/v1/upgrades", { name: "auth-ok", spec: spec("ok-service") }, api.token);
      expect(created.status).toBe(201);
      expect(await created.json()).toMatchObject({ name: "auth-ok", status: { phase: "Validating" } });
      for (const verb of ["pause", "resume", "promote", "abort"]) {
        const res = await post(`/v1/upgrades/auth-ok/${verb}`, {}, api.token);
        expect(res.status, verb).toBe(200);
      }
      const view = (await (await get("/v1/upgrades/auth-ok")).json()) as {
        spec: { paused: boolean };
        status: { pendingCommands: number };
      };
      expect(view.spec.paused).toBe(false);
      expect(view.status.pendingCommands).toBe(2); // promote and abort wait for the engine
      const stored = await api.store.get({ namespace: "default", name: "auth-ok" });
      // As annotations, one per kind: what `kubectl annotate` would write.
      expect(stored.commands.map((c) => c.kind)).toEqual(["promote", "abort"]);
    });

    it("reads need no token", async () => {
      expect((await get("/v1/upgrades")).status).toBe(200);
      expect((await get("/v1/upgrades/auth-guard")).status).toBe(200);
    });
  });

  describe("errors", () => {
    it("404 with a JSON message for an unknown upgrade, on reads, commands and the event stream", async () => {
      for (const res of [
        await get("/v1/upgrades/nope"),
        await get("/v1/upgrades/nope/events"),
        await post("/v1/upgrades/nope/pause", {}, api.token),
      ]) {
        expect(res.status).toBe(404);
        expect(res.headers.get("content-type")).toMatch(/application\/json/);
        expect(await res.json()).toEqual({ error: expect.stringMatching(/nope not found.*tranquil status/) });
      }
    });

    it("404 with a JSON message for an unknown endpoint", async () => {
      const res = await get("/v2/whatever");
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: expect.any(String) });
    });

    it("400 lists every problem of a bad spec: steps not increasing, non-DNS names, unknown fields", async () => {
      const res = await post(
        "/v1/upgrades",
        { name: "bad-steps", spec: spec("steps-service", { strategy: { steps: [50, 10, 100] } }) },
        api.token,
      );
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: string; problems: { path: string; message: string }[] };
      expect(body.problems).toContainEqual({
        path: "strategy.steps.1",
        message: expect.stringMatching(/strictly increasing/),
      });

      const names = await post(
        "/v1/upgrades",
        {
          name: "bad-names",
          spec: { services: [{ name: "Auth_Service", from: "v1", to: "V2" }], colour: "blue" },
        },
        api.token,
      );
      expect(names.status).toBe(400);
      const problems = ((await names.json()) as { problems: { path: string; message: string }[] }).problems;
      expect(problems).toEqual(
        expect.arrayContaining([
          { path: "services.0.name", message: expect.stringMatching(/DNS-1123 label/) },
          { path: "services.0.to", message: expect.stringMatching(/DNS-1123 label/) },
          { path: "colour", message: expect.stringMatching(/unknown field "colour"/) },
        ]),
      );
      await expect(api.store.get({ namespace: "default", name: "bad-names" })).rejects.toThrow(/not found/); // nothing half-applied
    });

    it("400 for a name that is not a DNS label, a body without a name, and a body that is not JSON", async () => {
      const badName = await post("/v1/upgrades", { name: "Bad_Name", spec: spec("name-service") }, api.token);
      expect(badName.status).toBe(400);
      expect(await badName.json()).toEqual({ error: expect.stringMatching(/not a DNS label/) });

      const noName = await post("/v1/upgrades", { spec: spec("name-service") }, api.token);
      expect(noName.status).toBe(400);
      expect(await noName.json()).toEqual({ error: expect.stringMatching(/body must be/) });

      const garbled = await fetch(`${api.url}/v1/upgrades`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${api.token}` },
        body: "{not json",
      });
      expect(garbled.status).toBe(400);
      expect(await garbled.json()).toEqual({ error: expect.stringMatching(/not valid JSON/) });
    });

    describe("bodies that are not a JSON object", () => {
      const send = (path: string, body: string | undefined, contentType?: string) =>
        rawRequest(Number(new URL(api.url).port), {
          method: "POST",
          path,
          headers: {
            authorization: `Bearer ${api.token}`,
            ...(contentType !== undefined ? { "content-type": contentType } : {}),
            ...(body !== undefined ? { "content-length": String(Buffer.byteLength(body)) } : {}),
          },
          ...(body !== undefined ? { body } : {}),
        });
      const errorOf = (res: { body: string }): string => (JSON.parse(res.body) as { error: string }).error;

      beforeAll(async () => {
        expect(
          (await post("/v1/upgrades", { name: "bodies", spec: spec("bodies-service") }, api.token)).status,
        ).toBe(201);
      });

      it.each(["/v1/upgrades", "/v1/upgrades/bodies/pause"])(
        "POST %s with a text/plain body is 415 and says what the body must be",
        async (path) => {
          const res = await send(path, '{"name":"plain"}', "text/plain;charset=UTF-8");
          expect(res.status).toBe(415);
          expect(errorOf(res)).toBe(
            "the body must be a JSON object with Content-Type application/json; got text/plain",
          );
        },
      );

      it("POST /v1/upgrades with a body but no Content-Type is 415 and says so", async () => {
        const res = await send("/v1/upgrades", '{"name":"untyped"}');
        expect(res.status).toBe(415);
        expect(errorOf(res)).toMatch(/with Content-Type application\/json; got no Content-Type$/);
      });

      it.each([
        ["null", /^the body is null; expected an upgrade object \{"name"/],
        ["[]", /^the body is an array; expected an upgrade object/],
        ['"upgrade"', /^the body is a string; expected an upgrade object/],
      ])("POST /v1/upgrades with %s is 400 and names what the body is", async (body, message) => {
        const res = await send("/v1/upgrades", body, "application/json");
        expect(res.status).toBe(400);
        expect(errorOf(res)).toMatch(message);
      });

      it("POST /v1/upgrades without a body is 400: the body is empty", async () => {
        const res = await send("/v1/upgrades", undefined, "application/json");
        expect(res.status).toBe(400);
        expect(errorOf(res)).toMatch(/^the body is empty; expected an upgrade object/);
      });

      it("a command takes no body or {}, and refuses null", async () => {
        expect((await send("/v1/upgrades/bodies/pause", undefined)).status).toBe(200);
        expect((await send("/v1/upgrades/bodies/resume", "{}", "application/json")).status).toBe(200);
        const res = await send("/v1/upgrades/bodies/pause", "null", "application/json");
        expect(res.status).toBe(400);
        expect(errorOf(res)).toBe("the body is null; expected no body or {}");
      });

      it("a body whose name is not a string says which field is wrong", async () => {
        const res = await send("/v1/upgrades", '{"name":7}', "application/json");
        expect(res.status).toBe(400);
        expect(errorOf(res)).toMatch(/its "name" is not a string$/);
      });
    });

    describe("inputs far beyond their bounds", () => {
      const LONG = "a".repeat(100 * 1024);
      const errorOf = async (res: Response): Promise<string> =>
        ((await res.json()) as { error: string }).error;

      it("a 100 KB upgrade name in a create is 400, echoed cut short", async () => {
        const res = await post("/v1/upgrades", { name: LONG, spec: spec("long-name-service") }, api.token);
        expect(res.status).toBe(400);
        const error = await errorOf(res);
        expect(error).toMatch(/^upgrade name "a+…" is not a DNS label/);
        expect(error.length).toBeLessThan(250);
      });

      it("a name or namespace in the path or query of another shape is 400 at the entry, cut short", async () => {
        for (const path of [
          `/v1/upgrades/${"a".repeat(8 * 1024)}`,
          `/v1/upgrades/${"a".repeat(8 * 1024)}/events`,
          `/v1/upgrades?namespace=${"n".repeat(8 * 1024)}`,
          `/v1/upgrades/Bad_Name`,
        ]) {
          const res = await get(path);
          expect(res.status, path).toBe(400);
          const error = await errorOf(res);
          expect(error, path).toMatch(/is not a (valid name|namespace name)/);
          expect(error.length, path).toBeLessThan(250);
        }
        const command = await post(`/v1/upgrades/${"a".repeat(8 * 1024)}/pause`, {}, api.token);
        expect(command.status).toBe(400);
        expect((await errorOf(command)).length).toBeLessThan(250);
      });

      it("a spec with thousands of long unknown fields lists a few problems, each cut short", async () => {
        const extra = Object.fromEntries(
          Array.from({ length: 2000 }, (_, i) => [`field${i}${"x".repeat(60)}`, 1]),
        );
        const res = await post(
          "/v1/upgrades",
          { name: "many-fields", spec: spec("fields-service", extra) },
          api.token,
        );
        expect(res.status).toBe(400);
        const body = (await res.json()) as { error: string; problems: { path: string; message: string }[] };
        expect(body.problems.length).toBeLessThanOrEqual(20);
        for (const p of body.problems) expect(p.message.length).toBeLessThanOrEqual(200);
        expect(body.error).toMatch(/and \d+ more$/);
        expect(body.error.length).toBeLessThanOrEqual(1024);
      });

      it("an upgrade name with dots (a Kubernetes object name) is looked up, not refused", async () => {
        const res = await get("/v1/upgrades/made.by.kubectl");
        expect(res.status).toBe(404);
      });
    });

    it("409 for an upgrade overlapping an active one on a service", async () => {
      expect(
        (await post("/v1/upgrades", { name: "first", spec: spec("shared-service") }, api.token)).status,
      ).toBe(201);
      const res = await post(
        "/v1/upgrades",
        { name: "second", spec: { services: [{ name: "shared-service", from: "v1", to: "v3" }] } },
        api.token,
      );
      expect(res.status).toBe(409);
      expect(await res.json()).toEqual({
        error: expect.stringMatching(/first is still Validating on shared-service.*abort it/),
      });
    });

    it("409 for a name that exists already (even when that upgrade ended)", async () => {
      expect(
        (await post("/v1/upgrades", { name: "reused", spec: spec("reused-service") }, api.token)).status,
      ).toBe(201);
      await writeStatus(api.store, "reused", { phase: "Succeeded", stage: "done" });
      const res = await post("/v1/upgrades", { name: "reused", spec: spec("reused-service") }, api.token);
      expect(res.status).toBe(409);
      expect(await res.json()).toEqual({ error: expect.stringMatching(/reused already exists/) });
    });

    it("409 for abort of a Succeeded upgrade and of one in Finalizing", async () => {
      expect(
        (await post("/v1/upgrades", { name: "done", spec: spec("done-service") }, api.token)).status,
      ).toBe(201);
      await writeStatus(api.store, "done", { phase: "Finalizing", stage: "scaleOld" });
      const finalizing = await post("/v1/upgrades/done/abort", {}, api.token);
      expect(finalizing.status).toBe(409);
      expect(await finalizing.json()).toEqual({ error: expect.stringMatching(/abort refused.*Finalizing/) });

      await writeStatus(api.store, "done", { phase: "Succeeded", stage: "done" });
      const ended = await post("/v1/upgrades/done/abort", {}, api.token);
      expect(ended.status).toBe(409);
      expect(await ended.json()).toEqual({ error: expect.stringMatching(/abort refused.*Succeeded/) });
      expect((await api.store.get({ namespace: "default", name: "done" })).commands).toEqual([]);
    });
  });
});
