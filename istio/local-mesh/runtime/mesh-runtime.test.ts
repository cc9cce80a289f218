import { fileURLToPath } from "node:url";
import { Metadata } from "@grpc/grpc-js";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRouteConfigs } from "../../../trace-manager/envoy-admin/index.js";
import type { HTTPRoute } from "../../api/types.js";
import { echoClient, type EchoReply } from "./echo-app/echo-services.js";
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

async function adminEpoch(adminUrl: string): Promise<number> {
  const body = await (await fetch(`${adminUrl}/config_dump?resource=dynamic_route_configs`)).text();
  const v = parseRouteConfigs(body)[0]?.versionInfo ?? "/0";
  return Number(v.split("/").at(-1));
}

// The whole local mesh in one process, on the echo topology: gateway, sidecars, TraceManagers.
describe("local mesh runtime", () => {
  let mesh: MeshHandle;

  beforeAll(async () => {
    mesh = await startMesh(await loadTopology(ECHO_TOPOLOGY), {
      pushDelay: { minMs: 10, maxMs: 60 },
      workerLag: { minMs: 0, maxMs: 5 },
      laggards: { ingress: { minMs: 1_500, maxMs: 1_500 } },
      als: { flushIntervalMs: 100 },
      // Generous: the test shares two cores with other test files; fail-open is tested elsewhere.
      checkTimeoutMs: 1_000,
      traceManager: { heartbeatMs: 200 },
      logger: pino({ level: "silent" }),
    });
  });
  afterAll(() => mesh.stop());

  const callFront = (pod = mesh.instances().find((i) => i.service === "front")): Promise<EchoReply> => {
    const c = echoClient(pod?.address ?? "", "front");
    return new Promise((resolve, reject) =>
      c.Say({ text: "t", forward: true }, new Metadata(), (err, res) => {
        c.close();
        if (err !== null || res === undefined) reject(err ?? new Error("empty reply"));
        else resolve(res);
      }),
    );
  };

  const setItemRoute = (route: HTTPRoute[]): void => {
    const vs = mesh.configStore.get("VirtualService", "default", "item");
    if (vs === undefined) throw new Error("no VirtualService item");
    mesh.configStore.update({ ...vs, spec: { ...vs.spec, http: route } });
  };

  it("serves through the ingress and the sidecars with the topology's default routes", async () => {
    expect(
      mesh
        .instances()
        .map((i) => `${i.service}@${i.version}`)
        .sort(),
    ).toEqual(["front@v1", "item@v1", "item@v1", "web@v1"]);
    await waitFor(async () => (await fetch(`${mesh.ingressUrl}/hello`)).status === 200);
    const res = await fetch(`${mesh.ingressUrl}/hello`, { headers: { "x-request-id": "from-client" } });
    const body = (await res.json()) as { servedBy: string; headers: Record<string, string> };
    expect(body.servedBy).toBe("web@v1");
    expect(body.headers["x-request-id"]).not.toBe("from-client");
    expect(body.headers["x-b3-traceid"]).toMatch(/^[0-9a-f]{32}$/);
    const reply = await callFront();
    expect(reply.served_by).toEqual(["front@v1", "item@v1"]);
    expect(mesh.instances().find((i) => i.service === "front")?.lastServedAt).not.toBeNull();
  });

  it("reports each pod's Envoy figures through its TraceManager, read from the sidecar admin", async () => {
    await waitFor(async () => {
      const pods = await mesh.traceStore.pods();
      const front = pods.find((p) => p.service === "front");
      // The gateway's TraceManager starts last; its first heartbeat may come after the sidecars'.
      return (
        (front?.envoy?.extAuthz.ok ?? 0) >= 1 &&
        (front?.envoy?.accessLogs.written ?? 0) >= 1 &&
        pods.some((p) => p.role === "gateway")
      );
    });
    const pods = await mesh.traceStore.pods();
    const front = pods.find((p) => p.service === "front");
    expect(front?.envoy?.healthyEndpoints["outbound|50052|v1|item.default.svc.cluster.local"]).toBe(2);
    expect(pods.some((p) => p.role === "gateway")).toBe(true);
  });

  it("shows a change reaching proxies at different times (the gateway lags far behind)", async () => {
    const before = await adminEpoch(mesh.ingressAdminUrl);
    setItemRoute([
      { name: "renamed", route: [{ destination: { host: "item", subset: "v1", port: { number: 50052 } } }] },
    ]);
    const target = mesh.configStore.epoch;
    const front = mesh.instances().find((i) => i.service === "front");
    expect(target).toBeGreaterThan(before);
    await waitFor(async () => (await adminEpoch(front?.adminUrl ?? "")) >= target);
    // The sidecar has the change; the lagging gateway still shows its older config.
    expect(await adminEpoch(mesh.ingressAdminUrl)).toBe(before);
    await waitFor(async () => (await adminEpoch(mesh.ingressAdminUrl)) >= target);
  });

  it("routes a subset-less destination to a version started later (the trap), a subset route never", async () => {
    const v2 = await mesh.startInstance("item", "v2");
    await new Promise((r) => setTimeout(r, 150));
    for (let i = 0; i < 6; i++) expect((await callFront()).served_by?.[1]).toBe("item@v1");
    setItemRoute([{ name: "default", route: [{ destination: { host: "item", port: { number: 50052 } } }] }]);
    const seen = new Set<string>();
    await waitFor(async () => {
      seen.add((await callFront()).served_by?.[1] ?? "");
      return seen.has("item@v2");
    });
    expect(seen.has("item@v2")).toBe(true);
    setItemRoute([
      { name: "default", route: [{ destination: { host: "item", subset: "v1", port: { number: 50052 } } }] },
    ]);
    await new Promise((r) => setTimeout(r, 150));
    await mesh.stopInstance(v2.pod);
    expect(mesh.instances().some((i) => i.pod === v2.pod)).toBe(false);
  });

  it("terminates a pod gracefully: in-flight calls finish, endpoint removal lags, others keep serving", async () => {
    const items = mesh.instances().filter((i) => i.service === "item" && i.version === "v1");
    const victim = items[0]!;
    const c = echoClient(victim.address, "item");
    const inFlight = new Promise<EchoReply | undefined>((resolve) =>
      c.Say({ text: "slow", delay_ms: 300 }, new Metadata(), (_e, r) => resolve(r)),
    );
    await new Promise((r) => setTimeout(r, 50));
    const stopping = mesh.stopInstance(victim.pod);
    // Calls keep succeeding while the removal propagates (retries reach the other host).
    for (let i = 0; i < 5; i++) expect((await callFront()).served_by?.[1]).toBe("item@v1");
    expect((await inFlight)?.served_by).toEqual(["item@v1"]);
    await stopping;
    c.close();
    expect(mesh.configStore.list("Endpoint").some((e) => e.spec.pod === victim.pod)).toBe(false);
    expect(mesh.instances().filter((i) => i.service === "item").length).toBe(1);
  });
});
