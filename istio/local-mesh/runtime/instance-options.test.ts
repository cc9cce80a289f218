import { fileURLToPath } from "node:url";
import { Metadata } from "@grpc/grpc-js";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upsertEndpoint } from "../control-plane/endpoints.js";
import { echoClient, type EchoReply } from "./echo-app/echo-services.js";
import { podSocketPath } from "./instance.js";
import { startMesh, type MeshHandle } from "./mesh-runtime.js";
import { loadTopology } from "./topology.js";

const ECHO_TOPOLOGY = fileURLToPath(new URL("./echo.topology.yaml", import.meta.url));

const waitFor = async (cond: () => boolean | Promise<boolean>, ms = 8_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
};

function say(address: string, authority: string, forward = false): Promise<EchoReply> {
  const c = echoClient(address, authority);
  return new Promise((resolve, reject) =>
    c.Say({ text: "t", forward }, new Metadata(), (err, res) => {
      c.close();
      if (err !== null || res === undefined) reject(err ?? new Error("empty reply"));
      else resolve(res);
    }),
  );
}

async function stat(adminUrl: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${adminUrl}/stats`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}: `));
  return line === undefined ? undefined : Number(line.slice(name.length + 2));
}

// Pods as a cluster starts them: named by Kubernetes, with or without a TraceManager, and with
// endpoints written by someone else (the API server source).
describe("instance identity, injection and external endpoints", () => {
  let mesh: MeshHandle;

  beforeAll(async () => {
    const topology = await loadTopology(ECHO_TOPOLOGY);
    mesh = await startMesh(
      {
        ...topology,
        services: topology.services.map((s) => ({
          ...s,
          versions: s.versions.map((v) => ({ ...v, instances: 0 })),
        })),
      },
      {
        endpoints: "external",
        routes: "external",
        pushDelay: { minMs: 5, maxMs: 20 },
        workerLag: { minMs: 0, maxMs: 2 },
        checkTimeoutMs: 1_000,
        traceManager: { heartbeatMs: 100 },
        logger: pino({ level: "silent" }),
      },
    );
  });
  afterAll(() => mesh.stop());

  it("starts no routes and no endpoints of its own with external routes and endpoints", async () => {
    const pod = await mesh.startInstance("item", "v1", { pod: "item-v1-7c9f-abcde" });
    expect(pod.pod).toBe("item-v1-7c9f-abcde");
    expect(mesh.configStore.list("VirtualService")).toEqual([]);
    expect(mesh.configStore.list("DestinationRule")).toEqual([]);
    expect(mesh.configStore.list("Endpoint")).toEqual([]);
    // The pod still serves on its own address: it is up, only not discovered.
    expect((await say(pod.address, "item")).served_by).toEqual(["item@v1"]);
  });

  it("reports a TraceManager's pod under the given pod name, and a pod without one not at all", async () => {
    const withTm = await mesh.startInstance("front", "v1", { pod: "front-v1-5d8b-qwxyz" });
    const bare = await mesh.startInstance("item", "v1", { pod: "item-v1-bare", traceManager: false });
    expect(withTm.traceManager).toBe(true);
    expect(withTm.traceManagerAdminPort).toBeGreaterThan(0);
    expect(bare.traceManager).toBe(false);
    expect(bare.traceManagerAdminPort).toBeNull();
    // front → item goes through the endpoint someone else wrote (here by hand).
    upsertEndpoint(mesh.configStore, {
      service: "item",
      address: bare.address,
      port: 50052,
      labels: { app: "item", version: "v1" },
      pod: bare.pod,
      ready: true,
    });
    await waitFor(async () => {
      try {
        return (await say(withTm.address, "front", true)).served_by?.join() === "front@v1,item@v1";
      } catch {
        return false;
      }
    });
    // The bare pod's sidecar failed open on the socket nobody serves, as Envoy's ext_authz does.
    expect(
      await stat(bare.adminUrl, "http.inbound_0.0.0.0_50052.ext_authz.failure_mode_allowed"),
    ).toBeGreaterThan(0);
    expect(await stat(withTm.adminUrl, "http.inbound_0.0.0.0_50051.ext_authz.ok")).toBeGreaterThan(0);
    await waitFor(async () => (await mesh.traceStore.pods()).some((p) => p.pod === "front-v1-5d8b-qwxyz"));
    const reported = (await mesh.traceStore.pods()).map((p) => p.pod);
    expect(reported).toContain("front-v1-5d8b-qwxyz");
    expect(reported).not.toContain("item-v1-bare");
    const front = (await mesh.traceStore.pods()).find((p) => p.pod === "front-v1-5d8b-qwxyz");
    expect(front).toMatchObject({ role: "sidecar", service: "front", version: "v1" });
  });

  it("refuses a pod name that runs already or that Kubernetes would refuse", async () => {
    await expect(mesh.startInstance("item", "v1", { pod: "item-v1-bare" })).rejects.toThrow(/runs already/);
    await expect(mesh.startInstance("item", "v1", { pod: "Item_V1" })).rejects.toThrow(/DNS-1123/);
  });

  it("stops a pod without a TraceManager gracefully", async () => {
    await mesh.stopInstance("item-v1-bare");
    expect(mesh.instances().some((i) => i.pod === "item-v1-bare")).toBe(false);
  });

  it("keeps a long pod name's socket path within the Unix limit", () => {
    const path = podSocketPath("/tmp/tranquil-mesh-abcdef", "x".repeat(200));
    expect(Buffer.byteLength(path)).toBeLessThanOrEqual(100);
    expect(podSocketPath("/tmp/d", "item-v1-abc")).toBe("/tmp/d/item-v1-abc.sock");
  });
});
