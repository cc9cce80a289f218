/**
 * The local cluster's data path follows the API server only: a pod reaches the proxies' endpoints
 * once an EndpointSlice lists it (at the loopback address behind its pod IP), leaves their healthy
 * hosts before its listener closes when it is deleted (no request through the ingress fails), and
 * runs a TraceManager only when it carries the `tranquil-trace-manager` container. Graded from the
 * real API server and controller-manager (Pods, EndpointSlices) and from the proxies' own admin
 * endpoints and the trace store.
 */
import { connect } from "node:net";
import { Metadata } from "@grpc/grpc-js";
import { AppsV1Api, CoreV1Api, DiscoveryV1Api, type V1Pod } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { echoClient, type EchoReply } from "../../istio/local-mesh/runtime/echo-app/echo-services.js";
import { defaultRouting } from "../../istio/local-mesh/runtime/default-routing.js";
import { eventually } from "./support/cluster-test-kit.js";
import { applyObjects, startLocalCluster, type LocalCluster } from "./support/local-cluster.js";
import { deploymentOf, injectedContainers, isReady, proxyClusters, serviceOf } from "./support/workloads.js";

const NS = "default";
const ITEM_V1 = "outbound|50052|v1|item.default.svc.cluster.local";
const WEB_V1 = "outbound|8080|v1|web.default.svc.cluster.local";

let cluster: LocalCluster | undefined;
const the = (): LocalCluster => {
  if (cluster === undefined) throw new Error("the local cluster did not start");
  return cluster;
};
const context = (): string => `(errors: ${the().errors.join("; ")})`;

async function podsOf(app: string): Promise<V1Pod[]> {
  const core = the().kc.makeApiClient(CoreV1Api);
  return (await core.listNamespacedPod({ namespace: NS, labelSelector: `app=${app}` })).items;
}

async function readyPods(app: string, n: number): Promise<V1Pod[]> {
  return eventually(
    () => podsOf(app),
    (ps) => ps.filter((p) => p.metadata?.deletionTimestamp === undefined && isReady(p)).length === n,
    30_000,
    context,
  ).then((ps) => ps.filter((p) => p.metadata?.deletionTimestamp === undefined && isReady(p)));
}

/** The pod IPs one Service's EndpointSlices list, with their ready condition. */
async function sliceEndpoints(service: string): Promise<Map<string, boolean>> {
  const discovery = the().kc.makeApiClient(DiscoveryV1Api);
  const slices = await discovery.listNamespacedEndpointSlice({
    namespace: NS,
    labelSelector: `kubernetes.io/service-name=${service}`,
  });
  return new Map(
    slices.items.flatMap((s) =>
      (s.endpoints ?? []).map((e) => [e.addresses[0] ?? "", e.conditions?.ready !== false] as const),
    ),
  );
}

/** The admin URLs of every proxy of the mesh (the ingress gateway and each sidecar). */
const proxies = (except?: string): string[] => [
  the().mesh.ingressAdminUrl,
  ...the()
    .mesh.instances()
    .filter((i) => i.pod !== except)
    .map((i) => i.adminUrl),
];

function say(address: string, authority: string): Promise<EchoReply> {
  const c = echoClient(address, authority);
  return new Promise((resolve, reject) =>
    c.Say({ text: "t", forward: true }, new Metadata(), (err, res) => {
      c.close();
      if (err !== null || res === undefined) reject(err ?? new Error("empty reply"));
      else resolve(res);
    }),
  );
}

function listening(address: string): Promise<boolean> {
  const [host = "", port = ""] = address.split(":");
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) }, () => {
      socket.end();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function stat(adminUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/stats`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}: `));
  return Number(line?.slice(name.length + 2) ?? "0");
}

describe("endpoints from EndpointSlices", { timeout: 90_000 }, () => {
  beforeAll(async () => {
    cluster = await startLocalCluster();
    const routing = defaultRouting(cluster.mesh.topology);
    await applyObjects(cluster.kc, [
      ...routing.destinationRules,
      ...routing.virtualServices,
      ...routing.gateways,
    ]);
  }, 40 * 60_000);

  afterAll(async () => {
    if ((cluster?.errors.length ?? 0) > 0)
      console.log(`local cluster errors:\n${cluster?.errors.join("\n")}`);
    await cluster?.stop();
  });

  it("lets a Ready pod reach the proxies only once an EndpointSlice lists it, at its pod IP's loopback address", async () => {
    const { kc, agent, mesh } = the();
    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    await applyObjects(kc, [
      serviceOf("front", 50051, "grpc"),
      deploymentOf("front", "v1", { replicas: 1, port: 50051 }),
    ]);
    // item runs before its Service exists: Ready, but no EndpointSlice lists it.
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: deploymentOf("item", "v1", { replicas: 1, port: 50052 }),
    });
    const [front] = await readyPods("front", 1);
    const [item] = await readyPods("item", 1);
    const frontAdmin = mesh.instances().find((i) => i.pod === front?.metadata?.name)?.adminUrl ?? "";
    const itemAddress = agent.addressOf(item?.status?.podIP ?? "") ?? "";
    expect(itemAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(mesh.instances().find((i) => i.pod === item?.metadata?.name)?.address).toBe(itemAddress);
    // Several push delays later no proxy knows it, and a call to it finds no endpoint.
    await new Promise((r) => setTimeout(r, 1_000));
    for (const admin of proxies()) expect((await proxyClusters(admin)).get(ITEM_V1) ?? []).toEqual([]);
    expect(mesh.configStore.list("Endpoint", NS).map((e) => e.metadata.name)).toEqual([
      front?.metadata?.name,
    ]);
    await expect(
      say(mesh.instances().find((i) => i.service === "front")?.address ?? "", "front"),
    ).rejects.toThrow();

    await core.createNamespacedService({ namespace: NS, body: serviceOf("item", 50052, "grpc") });
    // Each round reads the proxy first, then the slice: whenever the proxy shows the pod, the
    // slice read after it must list it already.
    let shown = false;
    const deadline = Date.now() + 20_000;
    while (!shown) {
      const hosts = (await proxyClusters(frontAdmin)).get(ITEM_V1) ?? [];
      const listed = (await sliceEndpoints("item")).get(item?.status?.podIP ?? "") === true;
      shown = hosts.some((h) => h.address === itemAddress && h.healthy);
      if (shown) expect(listed).toBe(true);
      if (Date.now() > deadline) throw new Error(`item never reached front's proxy ${context()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const reply = await eventually(
      () =>
        say(mesh.instances().find((i) => i.service === "front")?.address ?? "", "front").catch(
          () => undefined,
        ),
      (r) => r !== undefined,
      10_000,
    );
    expect(reply?.served_by).toEqual(["front@v1", "item@v1"]);
  });

  it("runs a TraceManager only for a pod with the tranquil-trace-manager container, under the pod's name", async () => {
    const { kc, mesh } = the();
    const core = kc.makeApiClient(CoreV1Api);
    await applyObjects(kc, [
      serviceOf("web", 8080, "http"),
      deploymentOf("web", "v1", { replicas: 2, port: 8080 }),
    ]);
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: "web-bare", labels: { app: "web", version: "v1" } },
        spec: {
          terminationGracePeriodSeconds: 5,
          containers: [{ name: "web", image: "tranquil/web:v1" }, ...injectedContainers(false)],
        },
      },
    });
    const pods = await readyPods("web", 3);
    const names = pods.map((p) => p.metadata?.name ?? "");
    const addresses = pods.map((p) => the().agent.addressOf(p.status?.podIP ?? ""));
    await eventually(
      () => proxyClusters(mesh.ingressAdminUrl),
      (c) => addresses.every((a) => (c.get(WEB_V1) ?? []).some((h) => h.address === a && h.healthy)),
      20_000,
      context,
    );
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`${mesh.ingressUrl}/hello`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { servedBy: string }).servedBy).toBe("web@v1");
    }
    const bare = mesh.instances().find((i) => i.pod === "web-bare");
    expect(bare?.traceManager).toBe(false);
    // Its sidecar let every request through on the socket nobody serves, as Envoy fails open.
    expect(
      await stat(bare?.adminUrl ?? "", "http.inbound_0.0.0.0_8080.ext_authz.failure_mode_allowed"),
    ).toBeGreaterThan(0);
    const withTm = names.filter((n) => n !== "web-bare");
    expect(withTm).toHaveLength(2);
    const reports = await eventually(
      () => mesh.traceStore.pods(),
      (ps) => withTm.every((n) => ps.some((p) => p.pod === n && (p.envoy?.extAuthz.ok ?? 0) > 0)),
      10_000,
    );
    for (const n of withTm)
      expect(reports.find((p) => p.pod === n)).toMatchObject({
        role: "sidecar",
        service: "web",
        version: "v1",
      });
    expect(reports.some((p) => p.pod === "web-bare")).toBe(false);
  });

  it("takes a deleted pod out of every proxy's healthy hosts before its listener closes: no request fails", async () => {
    const { kc, agent, mesh } = the();
    const core = kc.makeApiClient(CoreV1Api);
    const pods = await readyPods("web", 3);
    const victim = pods.find((p) => p.metadata?.name !== "web-bare");
    const name = victim?.metadata?.name ?? "";
    const ip = victim?.status?.podIP ?? "";
    const address = agent.addressOf(ip) ?? "";

    let stopLoad = false;
    const statuses: number[] = [];
    const load = Array.from({ length: 4 }, async () => {
      while (!stopLoad && statuses.length < 600) {
        const res = await fetch(`${mesh.ingressUrl}/hello`).catch(() => undefined);
        statuses.push(res?.status ?? 0);
        await res?.arrayBuffer();
        await new Promise((r) => setTimeout(r, 5));
      }
    });
    // What each moment showed: the slice, the proxies and the pod's listener, in that order.
    const at = { sliceNotReady: 0, unhealthyEverywhere: 0, closed: 0 };
    let sawUnhealthy = false;
    const watch = (async () => {
      const deadline = Date.now() + 30_000;
      while (at.closed === 0 && Date.now() < deadline) {
        const now = Date.now();
        if (at.sliceNotReady === 0 && (await sliceEndpoints("web")).get(ip) !== true) at.sliceNotReady = now;
        const hosts = await Promise.all(
          proxies(name).map(async (a) => (await proxyClusters(a)).get(WEB_V1) ?? []),
        );
        const mine = hosts.flat().filter((h) => h.address === address);
        if (mine.some((h) => !h.healthy)) sawUnhealthy = true;
        if (at.unhealthyEverywhere === 0 && mine.every((h) => !h.healthy)) at.unhealthyEverywhere = now;
        if (!(await listening(address))) at.closed = Date.now();
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    await core.deleteNamespacedPod({ name, namespace: NS });
    await watch;
    // A few hundred requests in all, some after the listener closed (bounded: at most 600, 10 s).
    await eventually(
      () => Promise.resolve(statuses.length),
      (n) => n >= 300,
      10_000,
    );
    stopLoad = true;
    await Promise.all(load);

    expect(at.closed).toBeGreaterThan(0);
    expect(at.sliceNotReady).toBeGreaterThan(0);
    expect(at.unhealthyEverywhere).toBeGreaterThanOrEqual(at.sliceNotReady);
    expect(at.unhealthyEverywhere).toBeLessThan(at.closed);
    // Ready followed the slice's condition (terminating: not ready) before the endpoint went away.
    expect(sawUnhealthy).toBe(true);
    expect(statuses.length).toBeGreaterThanOrEqual(300);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    await eventually(
      () => podsOf("web"),
      (ps) => !ps.some((p) => p.metadata?.name === name) && ps.filter(isReady).length === 3,
      30_000,
      context,
    );
    expect(mesh.instances().some((i) => i.pod === name)).toBe(false);
    expect(the().errors).toEqual([]);
  });
});
