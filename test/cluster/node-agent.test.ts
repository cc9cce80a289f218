/**
 * The node agent turns the local mesh into the cluster's one node: graded from the real API
 * server and controller-manager (Node, Lease, Pods, EndpointSlices) and from the mesh itself
 * (which instances run, and that a pod's address answers).
 */
import { connect } from "node:net";
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  type V1EndpointSliceList,
  type V1Pod,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startNodeMesh } from "./support/cluster-test-kit.js";
import type { MeshHandle } from "../../istio/local-mesh/runtime/mesh-runtime.js";
import { startControlPlane, type ControlPlane } from "./control-plane/control-plane.js";
import { startNodeAgent, type NodeAgent } from "./node-agent/node-agent.js";

const NS = "default";
const START_TIMEOUT_MS = 40 * 60_000;
const labels = { app: "item", version: "v1" };

let cp: ControlPlane | undefined;
let mesh: MeshHandle | undefined;
let agent: NodeAgent | undefined;
let kc: KubeConfig;
const errors: string[] = [];
const agentErrors = (): string => `(agent errors: ${errors.join("; ")})`;

const ready = (p: V1Pod): boolean =>
  p.status?.phase === "Running" &&
  (p.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

function answers(address: string): Promise<boolean> {
  const [host = "", port = ""] = address.split(":");
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) }, () => {
      socket.end();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("the node agent", { timeout: 60_000 }, () => {
  beforeAll(async () => {
    cp = await startControlPlane();
    kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    mesh = await startNodeMesh();
    agent = await startNodeAgent({
      kc,
      mesh,
      heartbeatMs: 500,
      onError: (err, what) => errors.push(`${what}: ${err instanceof Error ? err.message : String(err)}`),
    });
  }, START_TIMEOUT_MS);

  afterAll(async () => {
    if (errors.length > 0) console.log(`node agent errors:\n${errors.join("\n")}`);
    await agent?.stop();
    await mesh?.stop();
    await cp?.stop();
  });

  it("registers a Ready Node and renews its Lease in kube-node-lease", async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const node = await core.readNode({ name: "local-mesh" });
    expect(node.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    expect(node.status?.allocatable?.["pods"]).toBe("110");
    const leases = kc.makeApiClient(CoordinationV1Api);
    const first = await leases.readNamespacedLease({ name: "local-mesh", namespace: "kube-node-lease" });
    expect(first.spec?.holderIdentity).toBe("local-mesh");
    const renewed = await eventually(
      () => leases.readNamespacedLease({ name: "local-mesh", namespace: "kube-node-lease" }),
      (l) => new Date(l.spec?.renewTime ?? 0).getTime() > new Date(first.spec?.renewTime ?? 0).getTime(),
      10_000,
    );
    expect(renewed.spec?.leaseDurationSeconds).toBe(40);
  });

  it("runs a Deployment's pods on the local mesh: bound, Running, Ready, with private pod IPs behind loopback", async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedService({
      namespace: NS,
      body: {
        metadata: { name: "item" },
        spec: { selector: { app: "item" }, ports: [{ name: "grpc", port: 50052, targetPort: 50052 }] },
      },
    });
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name: "item-v1", labels },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              terminationGracePeriodSeconds: 5,
              // The injected containers come first here: the app is the first other one.
              containers: [
                { name: "istio-proxy", image: "docker.io/istio/proxyv2:1.28.0" },
                { name: "app", image: "tranquil/item:v1" },
                { name: "tranquil-trace-manager", image: "tranquil/trace-manager:local" },
              ],
            },
          },
        },
      },
    });
    const pods = await eventually(
      () => core.listNamespacedPod({ namespace: NS, labelSelector: "app=item" }),
      (l) => l.items.length === 2 && l.items.every(ready),
      30_000,
      agentErrors,
    );
    for (const pod of pods.items) {
      expect(pod.spec?.nodeName).toBe("local-mesh");
      const ip = pod.status?.podIP ?? "";
      expect(ip).toMatch(/^10\.244\.\d+\.\d+$/);
      const address = agent?.addressOf(ip) ?? "";
      expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(await answers(address)).toBe(true);
    }
    const instances = mesh?.instances().filter((i) => i.service === "item" && i.version === "v1") ?? [];
    expect(instances).toHaveLength(2);
    // Each instance is the pod: same name, what its sidecar and TraceManager report as.
    expect(instances.map((i) => i.pod).sort()).toEqual(pods.items.map((p) => p.metadata?.name).sort());
    expect(instances.every((i) => i.traceManager)).toBe(true);
    for (const pod of pods.items)
      expect(pod.status?.containerStatuses?.map((c) => [c.name, c.ready])).toEqual([
        ["istio-proxy", true],
        ["app", true],
        ["tranquil-trace-manager", true],
      ]);

    // EndpointSlices follow readiness: the real controller-manager lists both pod IPs as ready.
    const discovery = kc.makeApiClient(DiscoveryV1Api);
    const slices = await eventually(
      () =>
        discovery.listNamespacedEndpointSlice({
          namespace: NS,
          labelSelector: "kubernetes.io/service-name=item",
        }),
      (l) =>
        l.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready === true).length === 2,
    );
    const ips = slices.items.flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses)).sort();
    expect(ips).toEqual(pods.items.map((p) => p.status?.podIP ?? "").sort());
  });

  it("stops a deleted pod's instance gracefully, deletes the pod, and runs its replacement", async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const before = await core.listNamespacedPod({ namespace: NS, labelSelector: "app=item" });
    const victim = before.items[0];
    const name = victim?.metadata?.name ?? "";
    const instance = agent?.instanceOf(`${NS}/${name}`);
    expect(instance).toBe(name);
    await core.deleteNamespacedPod({ name, namespace: NS });
    await eventually(
      () => core.listNamespacedPod({ namespace: NS, labelSelector: "app=item" }),
      (l) => !l.items.some((p) => p.metadata?.name === name) && l.items.filter(ready).length === 2,
    );
    expect(mesh?.instances().some((i) => i.pod === instance)).toBe(false);
    expect(mesh?.instances().filter((i) => i.service === "item")).toHaveLength(2);
  });

  it("reports an image it cannot run as ErrImagePull, naming what it can run", async () => {
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: "mystery" },
        spec: { containers: [{ name: "app", image: "registry.example/unknown:1" }] },
      },
    });
    const pod = await eventually(
      () => core.readNamespacedPod({ name: "mystery", namespace: NS }),
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === "ErrImagePull",
    );
    expect(pod.status?.containerStatuses?.[0]?.state?.waiting?.message).toMatch(/tranquil\/item:v1/);
    expect(pod.status?.phase).toBe("Pending");
    expect(mesh?.instances().filter((i) => i.service === "item")).toHaveLength(2);
  });

  it("refuses a pod of a namespace the local mesh does not run, saying which one it runs", async () => {
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: "elsewhere" } } });
    await core.createNamespacedPod({
      namespace: "elsewhere",
      body: {
        metadata: { name: "item-elsewhere" },
        spec: { containers: [{ name: "app", image: "tranquil/item:v1" }] },
      },
    });
    const pod = await eventually(
      () => core.readNamespacedPod({ name: "item-elsewhere", namespace: "elsewhere" }),
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === "CreateContainerConfigError",
    );
    expect(pod.status?.containerStatuses?.[0]?.state?.waiting?.message).toMatch(/namespace default only/);
    expect(mesh?.instances().some((i) => i.pod === "item-elsewhere")).toBe(false);
  });

  it("runs readiness probes: a failing probe keeps a Running pod unready and out of its EndpointSlice, with an Unhealthy Event", async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const discovery = kc.makeApiClient(DiscoveryV1Api);
    await core.createNamespacedService({
      namespace: NS,
      body: {
        metadata: { name: "web" },
        spec: { selector: { app: "web" }, ports: [{ name: "http", port: 8080, targetPort: 8080 }] },
      },
    });
    const probed = (name: string, status: string) =>
      core.createNamespacedPod({
        namespace: NS,
        body: {
          metadata: { name, labels: { app: "web", version: "v1" } },
          spec: {
            containers: [
              {
                name: "app",
                image: "tranquil/web:v1",
                ports: [{ name: "http", containerPort: 8080 }],
                // The echo app answers every path with the status this header asks for.
                readinessProbe: {
                  httpGet: {
                    path: "/healthz",
                    port: "http",
                    httpHeaders: [{ name: "x-test-status", value: status }],
                  },
                  periodSeconds: 1,
                },
              },
            ],
          },
        },
      });
    await probed("web-passes", "200");
    await probed("web-fails", "503");
    const passing = await eventually(
      () => core.readNamespacedPod({ name: "web-passes", namespace: NS }),
      ready,
      15_000,
      agentErrors,
    );
    expect(passing.status?.containerStatuses?.map((c) => c.ready)).toEqual([true]);
    const failing = await core.readNamespacedPod({ name: "web-fails", namespace: NS });
    expect(failing.status?.phase).toBe("Running");
    expect(failing.status?.conditions?.find((c) => c.type === "Ready")).toMatchObject({
      status: "False",
      reason: "ContainersNotReady",
    });
    expect(failing.status?.containerStatuses?.map((c) => c.ready)).toEqual([false]);
    // The real EndpointSlice controller follows, in its own time (it may first list a pod before
    // its readiness reached it): the passing pod's address becomes ready, the failing one's stays not.
    const byPod = (l: V1EndpointSliceList): Record<string, boolean | undefined> =>
      Object.fromEntries(
        l.items
          .flatMap((sl) => sl.endpoints ?? [])
          .map((e): [string, boolean | undefined] => [e.targetRef?.name ?? "", e.conditions?.ready]),
      );
    const slices = await eventually(
      () =>
        discovery.listNamespacedEndpointSlice({
          namespace: NS,
          labelSelector: "kubernetes.io/service-name=web",
        }),
      (l) => byPod(l)["web-passes"] === true && "web-fails" in byPod(l),
      15_000,
    );
    expect(byPod(slices)).toEqual({ "web-passes": true, "web-fails": false });
    const events = await eventually(
      () => core.listNamespacedEvent({ namespace: NS, fieldSelector: "involvedObject.name=web-fails" }),
      (l) => l.items.some((e) => e.reason === "Unhealthy"),
      10_000,
    );
    const unhealthy = events.items.find((e) => e.reason === "Unhealthy");
    expect(unhealthy?.type).toBe("Warning");
    expect(unhealthy?.message).toBe("Readiness probe failed: HTTP probe failed with statuscode: 503");
    for (const name of ["web-passes", "web-fails"])
      await core.deleteNamespacedPod({ name, namespace: NS, gracePeriodSeconds: 1 });
  });

  it("shows the mesh's ingress gateway as a mirror pod in istio-system, Ready, and puts it back when deleted", async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const name = mesh?.gatewayPod ?? "";
    const pod = await eventually(
      () => core.readNamespacedPod({ name, namespace: "istio-system" }),
      ready,
      10_000,
      agentErrors,
    );
    expect(pod.metadata?.labels).toEqual({ istio: "ingressgateway", app: "istio-ingressgateway" });
    expect(pod.metadata?.annotations?.["kubernetes.io/config.mirror"]).toMatch(/^[0-9a-f]{32}$/);
    expect(pod.metadata?.ownerReferences?.map((o) => `${o.kind}/${o.name}`)).toEqual(["Node/local-mesh"]);
    expect(pod.spec?.nodeName).toBe("local-mesh");
    expect(pod.spec?.containers.map((c) => c.name)).toEqual(["istio-proxy", "tranquil-trace-manager"]);
    const ip = pod.status?.podIP ?? "";
    expect(ip).toMatch(/^10\.244\.\d+\.\d+$/);
    // Its pod IP leads to the gateway's own listener.
    expect(agent?.addressOf(ip)).toBe(new URL(mesh?.ingressUrl ?? "").host);
    expect(agent?.gateway).toEqual({ namespace: "istio-system", name, ip });

    await core.deleteNamespacedPod({ name, namespace: "istio-system" });
    const again = await eventually(
      () => core.readNamespacedPod({ name, namespace: "istio-system" }).catch(() => undefined),
      (p) => p !== undefined && p.metadata?.uid !== pod.metadata?.uid && ready(p),
      10_000,
      agentErrors,
    );
    expect(again?.status?.podIP).toBe(ip);
  });
});
