import http from "node:http";
import http2 from "node:http2";
import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HTTPAccessLogEntry } from "../../../trace-manager/proto/types.js";
import { getWithHost, type HostReply } from "./testing/get-with-host.js";
import { TestMesh, type TestInstance } from "./testing/mesh-fixture.js";
import { echoClient, type EchoReply } from "../runtime/echo-app/echo-services.js";

function h1(port: number, host: string, headers: Record<string, string> = {}): Promise<HostReply> {
  return getWithHost(port, host, { path: "/things?x=1", headers });
}

// Envoy's failure behaviour on the sidecar outbound: NR, NC, UH, UF/URX, retries within a cluster.
describe("sidecar: local replies and retries", () => {
  const mesh = new TestMesh();
  let caller: TestInstance;
  const entries: HTTPAccessLogEntry[] = [];

  beforeAll(async () => {
    caller = await mesh.start("frontend", "v1", "http");
    await mesh.start("shop", "v1", "http");
    await mesh.start("shop", "v2", "http");
    await mesh.start("item", "v1");
    caller.sidecar.core.observeAccessLog((e, d) => d === "outbound" && entries.push(e));
  });
  afterAll(() => mesh.close());

  const lastFlags = (): Record<string, unknown> =>
    (entries.at(-1)?.common_properties?.response_flags ?? {}) as Record<string, unknown>;

  it("forwards HTTP/1.1 by Host to the chosen subset, path and headers intact", async () => {
    mesh.routing.routes.set("shop", { port: 8080, subset: "v2", labels: { version: "v2" } });
    const r = await h1(caller.sidecar.outboundPort, "shop:8080", { "x-custom": "yes" });
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body) as { servedBy: string; path: string; headers: Record<string, string> };
    expect(body.servedBy).toBe("shop@v2");
    expect(body.path).toBe("/things?x=1");
    expect(body.headers["x-custom"]).toBe("yes");
    expect(body.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.headers["x-envoy-attempt-count"]).toBe("1");
    expect(r.headers["x-route-epoch"]).toBe("1");
    expect(r.headers["x-envoy-upstream-service-time"]).toBeDefined();
    expect(entries.at(-1)?.common_properties?.upstream_cluster).toBe(
      "outbound|8080|v2|shop.default.svc.cluster.local",
    );
  });

  it("carries an HTTP/1.1 request body through both sidecars", async () => {
    const body = "x".repeat(200_000);
    const reply = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: "127.0.0.1",
          port: caller.sidecar.outboundPort,
          method: "POST",
          path: "/upload",
          headers: { host: "shop", "content-type": "text/plain" },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
          );
        },
      );
      req.on("error", reject);
      req.end(body);
    });
    expect(reply.status).toBe(200);
    expect((JSON.parse(reply.text) as { body: string }).body).toBe(body);
  });

  it("answers 500 for a stream whose handling throws, and serves the next one (the process lives on)", async () => {
    mesh.routing.routes.set("shop", { port: 8080, subset: "v2", labels: { version: "v2" } });
    const routing = mesh.routing.routing.bind(mesh.routing);
    mesh.routing.routing = () => {
      mesh.routing.routing = routing;
      throw new Error("a routing table that cannot be read");
    };
    const failed = await h1(caller.sidecar.outboundPort, "shop:8080");
    expect(failed).toMatchObject({ status: 500, body: "internal proxy error" });
    const next = await h1(caller.sidecar.outboundPort, "shop:8080");
    expect(next.status).toBe(200);
    expect((JSON.parse(next.body) as { servedBy: string }).servedBy).toBe("shop@v2");
  });

  it("answers 404 NR for an unknown host", async () => {
    const r = await h1(caller.sidecar.outboundPort, "nowhere");
    expect(r.status).toBe(404);
    expect(lastFlags()).toEqual({ no_route_found: true });
  });

  it("answers 503 NC when the route's subset is missing from the DestinationRule", async () => {
    mesh.routing.routes.set("shop", { port: 8080, subset: "v3", labels: { version: "v3" }, missing: true });
    const r = await h1(caller.sidecar.outboundPort, "shop");
    expect(r.status).toBe(503);
    expect(lastFlags()).toEqual({ no_cluster_found: true });
  });

  it("answers 503 UH when the subset has no healthy endpoint", async () => {
    mesh.routing.routes.set("shop", { port: 8080, subset: "v3", labels: { version: "v3" } });
    const r = await h1(caller.sidecar.outboundPort, "shop");
    expect(r.status).toBe(503);
    expect(r.body).toBe("no healthy upstream");
    expect(lastFlags()).toEqual({ no_healthy_upstream: true });
  });

  it("retries a 503 on another host of the same cluster, never another subset, then 503 URX", async () => {
    mesh.routing.routes.set("shop", { port: 8080, subset: "v1", labels: { version: "v1" } });
    const v1 = mesh.instances.filter((i) => i.service === "shop" && i.version === "v1");
    const v2 = mesh.instances.find((i) => i.service === "shop" && i.version === "v2");
    const v2Before = v2?.app.served() ?? 0;
    const v1Before = v1.reduce((s, i) => s + i.app.served(), 0);
    const r = await h1(caller.sidecar.outboundPort, "shop", { "x-test-status": "503" });
    expect(r.status).toBe(503);
    // One v1 host: the first attempt only; the v2 host is in another cluster and never tried.
    expect(v1.reduce((s, i) => s + i.app.served(), 0) - v1Before).toBe(1);
    expect(v2?.app.served()).toBe(v2Before);
    expect(lastFlags()).toEqual({});
  });

  it("retries connect failures on the other hosts, then answers 503 with UF and URX", async () => {
    // Three endpoints of a subset whose ports are closed: each attempt is a connect failure.
    mesh.routing.routes.set("ghost", { port: 9000, subset: "v1", labels: { version: "v1" } });
    for (const port of [1, 2, 3])
      mesh.routing.endpoints.push({
        service: "ghost",
        address: `127.0.0.1:${port}`,
        labels: { version: "v1" },
        healthy: true,
      });
    const r = await h1(caller.sidecar.outboundPort, "ghost");
    expect(r.status).toBe(503);
    expect(r.body).toContain("connection failure");
    expect(lastFlags()).toEqual({ upstream_connection_failure: true, upstream_retry_limit_exceeded: true });
    expect(
      caller.sidecar.core.stats.get(
        "cluster.outbound|9000|v1|ghost.default.svc.cluster.local.upstream_rq_retry",
      ),
    ).toBe(2);
  });

  it("converts local replies into trailers-only gRPC statuses for gRPC callers", async () => {
    const grpcCaller = await mesh.start("grpc-frontend", "v1");
    const client = echoClient(`127.0.0.1:${grpcCaller.sidecar.outboundPort}`, "ghost");
    const err = await new Promise<ServiceError | null>((resolve) =>
      client.Say({ text: "x" }, new Metadata(), (e) => resolve(e)),
    );
    client.close();
    expect(err?.code).toBe(status.UNAVAILABLE);
    const nr = echoClient(`127.0.0.1:${grpcCaller.sidecar.outboundPort}`, "unknown-host");
    const err2 = await new Promise<ServiceError | null>((resolve) =>
      nr.Say({ text: "x" }, new Metadata(), (e) => resolve(e)),
    );
    nr.close();
    expect(err2?.code).toBe(status.UNIMPLEMENTED);
  });

  it("keeps a stream on the route and endpoint it started with, while new streams take the new route", async () => {
    mesh.routing.routes.set("item", { port: 50051, subset: "v1", labels: { version: "v1" } });
    const grpcCaller = mesh.instances.find((i) => i.service === "grpc-frontend");
    const client = echoClient(`127.0.0.1:${grpcCaller?.sidecar.outboundPort ?? 0}`, "item");
    const got: EchoReply[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const call = client.Stream({ text: "s", count: 6, delay_ms: 40 }, new Metadata());
      call.on("data", (r: EchoReply) => got.push(r));
      call.on("end", () => resolve());
      call.on("error", reject);
    });
    await new Promise((r) => setTimeout(r, 60));
    // A new snapshot: item now routes to a subset without endpoints.
    mesh.routing.epoch = 2;
    mesh.routing.routes.set("item", { port: 50051, subset: "v9", labels: { version: "v9" } });
    const after = await new Promise<ServiceError | null>((resolve) =>
      client.Say({ text: "y" }, new Metadata(), (e) => resolve(e)),
    );
    await done;
    client.close();
    expect(after?.code).toBe(status.UNAVAILABLE);
    expect(got.map((r) => r.served_by?.[0])).toEqual(Array(6).fill("item@v1"));
  });

  it("sends GOAWAY on termination and lets in-flight streams finish", async () => {
    const inst = await mesh.start("slow", "v1");
    const session = http2.connect(`http://127.0.0.1:${inst.sidecar.inboundPort}`);
    let goaway = false;
    session.on("goaway", () => (goaway = true));
    const client = echoClient(`127.0.0.1:${inst.sidecar.inboundPort}`, "slow");
    const inFlight = new Promise<EchoReply | undefined>((resolve) =>
      client.Say({ text: "late", delay_ms: 300 }, new Metadata(), (_e, r) => resolve(r)),
    );
    await new Promise((r) => setTimeout(r, 100));
    const closing = inst.sidecar.close();
    const reply = await inFlight;
    await closing;
    client.close();
    session.destroy();
    expect(reply?.served_by).toEqual(["slow@v1"]);
    expect(goaway).toBe(true);
    mesh.instances.splice(mesh.instances.indexOf(inst), 1);
    await inst.app.close();
  });
});
