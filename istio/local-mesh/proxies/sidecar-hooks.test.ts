import { join } from "node:path";
import { Metadata, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEnvoyProtos } from "../../../trace-manager/proto/load.js";
import { MemoryTraceStore } from "../../../trace-manager/store/memory.js";
import type { TraceManagerHooks } from "./sidecar.js";
import { TestMesh } from "./testing/mesh-fixture.js";
import { socketDir, startRecordingAuthz, startTestTraceManager } from "./testing/trace-manager-fixture.js";
import { echoClient, type EchoReply } from "../runtime/echo-app/echo-services.js";

const TXN = "0f8fad5b-d9cb-469f-a165-70867728950e";

function say(
  port: number,
  authority: string,
  md: Metadata,
  req: object = { text: "x" },
): Promise<{ res?: EchoReply; code: number }> {
  const c = echoClient(`127.0.0.1:${port}`, authority);
  return new Promise((resolve) =>
    c.Say(req, md, (err, res) => {
      c.close();
      resolve({ ...(res !== undefined ? { res } : {}), code: err?.code ?? 0 });
    }),
  );
}

const waitFor = async (cond: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
};

// The sidecar's inbound hooks: ext_authz Check before the app, ALS after, as Envoy does them.
describe("sidecar: ext_authz and ALS hooks", () => {
  let dir: { path: string; remove(): Promise<void> };
  beforeAll(async () => (dir = await socketDir()));
  afterAll(() => dir.remove());

  it("sends Check with a uint64 stream id (not x-request-id) and applies ok_response before the app", async () => {
    const socketPath = join(dir.path, "recording.sock");
    const authz = await startRecordingAuthz(socketPath, () => ({
      status: { code: 0 },
      ok_response: {
        headers: [
          { header: { key: "x-tranquil-release", value: "u1" }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" },
          { header: { key: "x-added", value: "a" }, append: { value: false } },
          { header: { key: "x-absent-only", value: "new" }, append_action: "ADD_IF_ABSENT" },
        ],
        headers_to_remove: ["x-remove-me"],
      },
    }));
    const hooks: TraceManagerHooks = {
      socketPath,
      protos: loadEnvoyProtos(),
      checkTimeoutMs: 1_000,
      als: { flushIntervalMs: 100 },
    };
    const mesh = new TestMesh(() => hooks);
    const inst = await mesh.start("item", "v1");
    const md = new Metadata();
    md.set("x-request-id", TXN);
    md.set("x-tranquil-release", "client-sent");
    md.set("x-absent-only", "client");
    md.set("x-remove-me", "1");
    const r = await say(inst.sidecar.inboundPort, "item", md);
    expect(r.code).toBe(0);
    const seen = r.res?.metadata ?? {};
    expect(seen["x-tranquil-release"]).toBe("u1");
    expect(seen["x-added"]).toBe("a");
    expect(seen["x-absent-only"]).toBe("client");
    expect(seen["x-remove-me"]).toBeUndefined();
    const http = authz.requests[0]?.attributes?.request?.http;
    expect(http?.id).toMatch(/^\d+$/);
    expect(http?.id).not.toBe(TXN);
    expect(BigInt(http?.id ?? "0") < 2n ** 64n).toBe(true);
    expect(http?.headers?.["x-request-id"]).toBe(TXN);
    expect(http?.method).toBe("POST");
    expect(http?.path).toBe("/tranquil.meshtest.v1.Echo/Say");
    expect(http?.host).toBe("item");
    expect(http?.protocol).toBe("HTTP/2");
    expect(inst.sidecar.core.stats.get("http.inbound_0.0.0.0_50051.ext_authz.ok")).toBe(1);
    expect(inst.sidecar.core.stats.get("cluster.inbound|50051||.ext_authz.ok")).toBe(1);
    await mesh.close();
    await authz.close();
  });

  it("fails open when the TraceManager is slower than the timeout or absent, counting failure_mode_allowed", async () => {
    const socketPath = join(dir.path, "slow.sock");
    const slow = await startRecordingAuthz(socketPath, () => ({ status: { code: 0 } }), 400);
    const mesh = new TestMesh(() => ({ socketPath, protos: loadEnvoyProtos(), checkTimeoutMs: 50 }));
    const inst = await mesh.start("item", "v1");
    const r = await say(inst.sidecar.inboundPort, "item", new Metadata());
    expect(r.code).toBe(0);
    expect(r.res?.served_by).toEqual(["item@v1"]);
    const stats = inst.sidecar.core.stats;
    expect(stats.get("http.inbound_0.0.0.0_50051.ext_authz.failure_mode_allowed")).toBe(1);
    expect(stats.get("http.inbound_0.0.0.0_50051.ext_authz.error")).toBe(1);
    await slow.close();
    await mesh.close();

    const absent = new TestMesh(() => ({
      socketPath: join(dir.path, "nobody.sock"),
      protos: loadEnvoyProtos(),
      checkTimeoutMs: 50,
    }));
    const lone = await absent.start("item", "v1");
    const r2 = await say(lone.sidecar.inboundPort, "item", new Metadata());
    expect(r2.code).toBe(0);
    expect(lone.sidecar.core.stats.get("cluster.inbound|50051||.ext_authz.failure_mode_allowed")).toBe(1);
    await absent.close();
  });

  it("records the call at a real TraceManager: Check starts it, the inbound ALS entry ends it", async () => {
    const store = new MemoryTraceStore();
    const tms = new Map<string, Awaited<ReturnType<typeof startTestTraceManager>>>();
    const mesh = new TestMesh();
    // Each instance gets its own TraceManager, as each pod has one.
    let n = 0;
    const hooksFor = async (service: string, version: string): Promise<TraceManagerHooks> => {
      const pod = `${service}-${version}-${n++}`;
      const tm = await startTestTraceManager(dir.path, store, { role: "sidecar", service, version, pod });
      tms.set(pod, tm);
      return {
        socketPath: tm.socketPath,
        protos: loadEnvoyProtos(),
        checkTimeoutMs: 1_000,
        als: { flushIntervalMs: 50 },
      };
    };
    const frontHooks = await hooksFor("frontend", "v1");
    const itemHooks = await hooksFor("item", "v1");
    let next: TraceManagerHooks = frontHooks;
    const hooked = new TestMesh(() => next);
    const front = await hooked.start("frontend", "v1", "grpc", "item");
    next = itemHooks;
    const item = await hooked.start("item", "v1");
    hooked.routing.routes.set("item", { port: 50051, subset: "v1", labels: { version: "v1" } });
    // While a slow call is inside the app, the store shows it active (the Check recorded it).
    const slowMd = new Metadata();
    slowMd.set("x-request-id", "1b4e28ba-2fa1-41d2-883f-0016d3cca427");
    const slow = say(item.sidecar.inboundPort, "item", slowMd, { text: "slow", delay_ms: 400 });
    await waitFor(async () => (await store.activeAt("item", "v1")).calls === 1);
    expect((await slow).code).toBe(0);
    await waitFor(async () => (await store.activeAt("item", "v1")).calls === 0);
    const md = new Metadata();
    md.set("x-request-id", TXN);
    const r = await say(front.sidecar.inboundPort, "frontend", md, { text: "x", forward: true });
    expect(r.code).toBe(status.OK);
    expect(r.res?.served_by).toEqual(["frontend@v1", "item@v1"]);
    // The ALS entries reach the TraceManagers and close both calls.
    await waitFor(
      async () =>
        (await store.activeAt("item", "v1")).calls === 0 &&
        (await store.activeAt("frontend", "v1")).calls === 0,
    );
    await waitFor(() => item.sidecar.core.stats.get("access_logs.grpc_access_log.logs_written") >= 2);
    expect(front.sidecar.core.stats.get("access_logs.grpc_access_log.logs_written")).toBe(2);
    expect(front.sidecar.core.stats.get("access_logs.grpc_access_log.logs_dropped")).toBe(0);
    const stats = await store.versionStats("item", "v1", 0);
    expect(stats.requests).toBeGreaterThanOrEqual(1);
    await hooked.close();
    await mesh.close();
    for (const tm of tms.values()) await tm.stop();
    await store.close();
  });
});
