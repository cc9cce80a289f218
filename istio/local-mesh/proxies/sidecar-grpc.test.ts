import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HTTPAccessLogEntry } from "../../../trace-manager/proto/types.js";
import type { LogDirection } from "./proxy-core.js";
import { TestMesh, type TestInstance } from "./testing/mesh-fixture.js";
import { echoClient, type EchoReply, type EchoClient } from "../runtime/echo-app/echo-services.js";

// Real gRPC services behind real sidecars (HTTP/2 h2c), routed by a static routing table.
describe("sidecar: gRPC through the mesh", () => {
  const mesh = new TestMesh();
  let caller: TestInstance;
  let client: EchoClient;
  const logs: { entry: HTTPAccessLogEntry; direction: LogDirection; pod: string }[] = [];

  beforeAll(async () => {
    caller = await mesh.start("frontend", "v1", "grpc", "item");
    await mesh.start("item", "v1");
    await mesh.start("item", "v1");
    await mesh.start("item", "v2");
    mesh.routing.routes.set("item", { port: 50051, subset: "v1", labels: { version: "v1" } });
    for (const i of mesh.instances)
      i.sidecar.core.observeAccessLog((entry, direction) =>
        logs.push({ entry, direction, pod: i.sidecar.pod }),
      );
    client = echoClient(`127.0.0.1:${caller.sidecar.outboundPort}`, "item");
  });
  afterAll(async () => {
    client.close();
    await mesh.close();
  });

  const say = (
    req: object,
    md = new Metadata(),
  ): Promise<{ res?: EchoReply; err?: ServiceError; headers?: Metadata; trailers?: Metadata }> =>
    new Promise((resolve) => {
      let headers: Metadata | undefined;
      let trailers: Metadata | undefined;
      const call = client.Say(req, md, (err, res) => {
        setImmediate(() =>
          resolve({
            ...(res !== undefined ? { res } : {}),
            ...(err !== null ? { err } : {}),
            ...(headers ? { headers } : {}),
            ...(trailers ? { trailers } : {}),
          }),
        );
      }) as { on(e: string, fn: (x: never) => void): void };
      call.on("metadata", (m: Metadata) => (headers = m));
      call.on("status", (s: { metadata: Metadata }) => (trailers = s.metadata));
    });

  it("passes unary calls with metadata, response headers and trailers, round robin within the subset", async () => {
    const md = new Metadata();
    md.set("x-request-id", "11111111-2222-4333-8444-555555555555");
    md.set("x-custom", "kept");
    const seen = new Set<number>();
    for (let i = 0; i < 4; i++) {
      const r = await say({ text: "hi" }, md);
      expect(r.err).toBeUndefined();
      expect(r.res?.served_by).toEqual(["item@v1"]);
      expect(r.res?.metadata?.["x-request-id"]).toBe("11111111-2222-4333-8444-555555555555");
      expect(r.res?.metadata?.["x-custom"]).toBe("kept");
      expect(r.headers?.get("x-served-by")).toEqual(["item@v1"]);
      expect(r.headers?.get("x-route-epoch")).toEqual(["1"]);
      expect(r.trailers?.get("x-trailer-served-by")).toEqual(["item@v1"]);
    }
    for (const i of mesh.instances.filter((x) => x.service === "item" && x.version === "v1"))
      seen.add(i.app.served());
    expect([...seen].every((n) => n >= 2)).toBe(true);
  });

  it("streams server → client with trailers", async () => {
    const got: string[] = [];
    const trailers = await new Promise<Metadata>((resolve, reject) => {
      const call = client.Stream({ text: "s", count: 5 }, new Metadata());
      call.on("data", (r: EchoReply) => got.push(r.text ?? ""));
      call.on("status", (s: { metadata: Metadata; code: number }) =>
        s.code === 0 ? resolve(s.metadata) : reject(new Error(String(s.code))),
      );
      call.on("error", reject);
    });
    expect(got).toEqual(["s#0", "s#1", "s#2", "s#3", "s#4"]);
    expect(trailers.get("x-trailer-served-by")).toEqual(["item@v1"]);
  });

  it("cancels the upstream stream when the caller cancels mid-stream", async () => {
    const items = mesh.instances.filter((i) => i.service === "item");
    const got: string[] = [];
    await new Promise<void>((resolve) => {
      const call = client.Stream({ text: "c", count: 100, delay_ms: 20 }, new Metadata()) as ReturnType<
        EchoClient["Stream"]
      > & { cancel(): void };
      call.on("data", (r: EchoReply) => {
        got.push(r.text ?? "");
        if (got.length === 3) call.cancel();
      });
      call.on("error", () => resolve());
    });
    // Without the reset, the app would stream for two more seconds.
    const end = Date.now() + 1_000;
    while (items.some((i) => i.app.inFlight() > 0) && Date.now() < end)
      await new Promise((r) => setTimeout(r, 20));
    expect(items.every((i) => i.app.inFlight() === 0)).toBe(true);
    expect(got.length).toBeLessThan(100);
  });

  it("streams client → server and both ways", async () => {
    const collected = await new Promise<EchoReply>((resolve, reject) => {
      const call = client.Collect(new Metadata(), (err, res) =>
        err !== null || res === undefined ? reject(err ?? new Error("empty")) : resolve(res),
      );
      for (const t of ["a", "b", "c"]) call.write({ text: t });
      call.end();
    });
    expect(collected.text).toBe("a,b,c");
    const echoed = await new Promise<string[]>((resolve, reject) => {
      const out: string[] = [];
      const call = client.Chat(new Metadata());
      call.on("data", ((r: EchoReply) => {
        out.push(r.text ?? "");
        if (out.length < 3) call.write({ text: String(out.length) });
        else call.end();
      }) as never);
      call.on("end", () => resolve(out));
      call.on("error", reject as never);
      call.write({ text: "0" });
    });
    expect(echoed).toEqual(["echo:0", "echo:1", "echo:2"]);
  });

  it("propagates headers across two hops, each sidecar logging inbound and outbound entries", async () => {
    logs.length = 0;
    const direct = echoClient(`127.0.0.1:${caller.sidecar.inboundPort}`, "frontend");
    const md = new Metadata();
    md.set("x-request-id", "aaaaaaaa-2222-4333-8444-555555555555");
    const res = await new Promise<EchoReply>((resolve, reject) =>
      direct.Say({ text: "x", forward: true }, md, (err, r) =>
        err !== null || r === undefined ? reject(err ?? new Error("empty")) : resolve(r),
      ),
    );
    direct.close();
    expect(res.served_by).toEqual(["frontend@v1", "item@v1"]);
    await new Promise((r) => setTimeout(r, 50));
    const mine = logs.filter((l) => l.entry.request?.request_id === "aaaaaaaa-2222-4333-8444-555555555555");
    const shapes = mine
      .map(
        (l) =>
          `${l.pod.split("-").slice(0, 2).join("-")}:${l.direction}:${l.entry.common_properties?.upstream_cluster ?? ""}`,
      )
      .sort();
    expect(shapes).toEqual([
      "frontend-v1:inbound:inbound|50051||",
      "frontend-v1:outbound:outbound|50051|v1|item.default.svc.cluster.local",
      "item-v1:inbound:inbound|50051||",
    ]);
  });

  it("passes a non-retriable gRPC error through unchanged", async () => {
    const r = await say({ fail_code: status.NOT_FOUND });
    expect(r.err?.code).toBe(status.NOT_FOUND);
    expect(r.err?.details).toContain("failed on purpose");
  });

  it("retries UNAVAILABLE on other hosts of the same subset only, then gives up", async () => {
    const before = mesh.instances.map((i) => i.app.served());
    const r = await say({ fail_code: status.UNAVAILABLE });
    expect(r.err?.code).toBe(status.UNAVAILABLE);
    const delta = mesh.instances.map((i, k) => i.app.served() - (before[k] ?? 0));
    const byVersion = (v: string): number =>
      mesh.instances.reduce(
        (s, i, k) => s + (i.service === "item" && i.version === v ? (delta[k] ?? 0) : 0),
        0,
      );
    // Two v1 hosts: the first attempt and one retry (no third v1 host to try); v2 is never tried.
    expect(byVersion("v1")).toBe(2);
    expect(byVersion("v2")).toBe(0);
  });
});
