/**
 * DeploymentWorkloads on the real API server and controller-manager, with the node agent
 * running the pods on the local mesh: the new version's Deployment as created (labels,
 * selector, image, owners), readiness from the Deployment's status and the EndpointSlices,
 * HPAs copied and removed, idempotency, scaling to zero, deletion and garbage collection.
 */
import {
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  DiscoveryV1Api,
  type V1Deployment,
  type V1OwnerReference,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startNodeMesh } from "../../../test/cluster/support/cluster-test-kit.js";
import { startKubeTestEnv, type KubeTestEnv } from "../../../test/cluster/support/kube-test-env.js";
import { startNodeAgent, type NodeAgent } from "../../../test/cluster/node-agent/node-agent.js";
import type { MeshHandle } from "../../../istio/local-mesh/runtime/mesh-runtime.js";
import { PermanentError } from "../../reconciler/execute.js";
import { serviceAccountKubeConfig } from "../routes/testing/service-account.js";
import { DeploymentWorkloads } from "./deployment-workloads.js";
import { WORKLOADS_RBAC_RULES } from "./rbac.js";

// The local node runs pods of the local mesh's one namespace.
const NS = "default";
const item = { namespace: NS, service: "item" };
const front = { namespace: NS, service: "front" };

let env: KubeTestEnv;
let mesh: MeshHandle | undefined;
let agent: NodeAgent | undefined;
let workloads: DeploymentWorkloads | undefined;
let apps: AppsV1Api;
let core: CoreV1Api;
let hpas: AutoscalingV2Api;
const agentErrors: string[] = [];
const context = (): string => `(node agent: ${agentErrors.join("; ")})`;

function wl(): DeploymentWorkloads {
  if (workloads === undefined) throw new Error("workloads not started");
  return workloads;
}

async function ownerConfigMap(name: string): Promise<V1OwnerReference> {
  const cm = await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name } } });
  return { apiVersion: "v1", kind: "ConfigMap", name, uid: cm.metadata?.uid ?? "" };
}

function versionDeployment(
  service: string,
  version: string,
  image: string,
  replicas: number,
  owner?: V1OwnerReference,
): V1Deployment {
  const labels = { app: service, version };
  return {
    metadata: {
      name: `${service}-${version}`,
      labels: { ...labels, team: "logistics", "app.kubernetes.io/instance": "shop-release" },
      ...(owner !== undefined ? { ownerReferences: [owner] } : {}),
    },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: 5,
          // The app first: the node agent runs the first container's image.
          containers: [
            { name: "app", image },
            { name: "istio-proxy", image: "docker.io/istio/proxyv2:1.27.0" },
          ],
        },
      },
    },
  };
}

const readyEndpointsOf = async (service: string, version: string): Promise<number> => {
  const discovery = env.kc.makeApiClient(DiscoveryV1Api);
  const slices = await discovery.listNamespacedEndpointSlice({
    namespace: NS,
    labelSelector: `kubernetes.io/service-name=${service}`,
  });
  const pods = await core.listNamespacedPod({
    namespace: NS,
    labelSelector: `app=${service},version=${version}`,
  });
  const names = new Set(pods.items.map((p) => p.metadata?.name));
  return slices.items
    .flatMap((s) => s.endpoints ?? [])
    .filter((e) => e.conditions?.ready === true && names.has(e.targetRef?.name)).length;
};

const versionOf = async (ref: typeof item, version: string) =>
  (await wl().versions(ref)).find((v) => v.version === version);

describe("DeploymentWorkloads on a real cluster", { timeout: 90_000 }, () => {
  beforeAll(async () => {
    env = await startKubeTestEnv({ crds: false });
    await env.namespace(NS);
    apps = env.kc.makeApiClient(AppsV1Api);
    core = env.kc.makeApiClient(CoreV1Api);
    hpas = env.kc.makeApiClient(AutoscalingV2Api);
    mesh = await startNodeMesh();
    agent = await startNodeAgent({
      kc: env.kc,
      mesh,
      heartbeatMs: 500,
      onError: (err, what) =>
        agentErrors.push(`${what}: ${err instanceof Error ? err.message : String(err)}`),
    });
    await core.createNamespacedService({
      namespace: NS,
      body: {
        metadata: { name: "item" },
        spec: { selector: { app: "item" }, ports: [{ name: "grpc", port: 50052, targetPort: 50052 }] },
      },
    });
    const owner = await ownerConfigMap("item-release");
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: versionDeployment("item", "v1", "tranquil/item:v1", 2, owner),
    });
    await hpas.createNamespacedHorizontalPodAutoscaler({
      namespace: NS,
      body: {
        metadata: { name: "item-v1" },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "item-v1" },
          minReplicas: 1,
          maxReplicas: 5,
          metrics: [
            {
              type: "Resource",
              resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
            },
          ],
        },
      },
    });
    // Least privilege, per namespace: exactly the adapter's rules, bound in the one namespace it manages.
    const kc = await serviceAccountKubeConfig(env.kc, {
      namespace: "tranquil-system",
      name: "workloads",
      rules: WORKLOADS_RBAC_RULES,
      onlyIn: [NS],
    });
    workloads = await DeploymentWorkloads.start({
      kc,
      namespaces: [NS],
      backoff: { initialMs: 200, maxMs: 2_000 },
    });
    await eventually(
      () => versionOf(item, "v1"),
      (v) => v?.ready === 2,
      30_000,
      context,
    );
  }, 600_000);

  afterAll(async () => {
    await workloads?.stop();
    await agent?.stop();
    await mesh?.stop();
    await env.stop();
  });

  it("creates the new version's Deployment from the old one: name, labels, selector, image, owners", async () => {
    await wl().ensureVersion({
      ...item,
      version: "v2",
      fromVersion: "v1",
      replicas: 2,
      upgrade: "item-up-1a2b3c",
    });
    const [old, created] = await Promise.all([
      apps.readNamespacedDeployment({ name: "item-v1", namespace: NS }),
      apps.readNamespacedDeployment({ name: "item-v2", namespace: NS }),
    ]);
    expect(created.metadata?.labels).toEqual({
      app: "item",
      version: "v2",
      team: "logistics",
      "app.kubernetes.io/managed-by": "tranquil",
      "tranquil.dev/upgrade": "item-up-1a2b3c",
    });
    expect(created.metadata?.annotations).toMatchObject({
      "tranquil.dev/from-deployment": "item-v1",
      "tranquil.dev/from-version": "v1",
    });
    expect(created.spec?.selector.matchLabels).toEqual({ app: "item", version: "v2" });
    expect(created.spec?.template.metadata?.labels).toEqual({ app: "item", version: "v2" });
    expect(created.spec?.replicas).toBe(2);
    // The tag was the old version, so the image follows it; the proxy container is untouched.
    expect(created.spec?.template.spec?.containers.map((c) => c.image)).toEqual([
      "tranquil/item:v2",
      "docker.io/istio/proxyv2:1.27.0",
    ]);
    // Owned by what owns the old version, never by the Upgrade.
    expect(created.metadata?.ownerReferences?.map((o) => [o.kind, o.name, o.uid])).toEqual(
      old.metadata?.ownerReferences?.map((o) => [o.kind, o.name, o.uid]),
    );
    expect(old.spec?.template.spec?.containers[0]?.image).toBe("tranquil/item:v1");
  });

  it("reports the new version ready only as its pods are Ready in the Service's EndpointSlices", async () => {
    const samples: { ready: number; endpoints: number }[] = [];
    await eventually(
      async () => {
        const ready = (await versionOf(item, "v2"))?.ready ?? 0;
        // Read after: endpoints only grow while v2 starts, so they bound what versions() said.
        samples.push({ ready, endpoints: await readyEndpointsOf("item", "v2") });
        return ready;
      },
      (ready) => ready === 2,
      45_000,
      context,
    );
    expect(samples.every((s) => s.ready <= s.endpoints)).toBe(true);
    expect(await versionOf(item, "v2")).toEqual({ version: "v2", desired: 2, ready: 2 });
  });

  it("counts no ready instance while no Service lists the pods, however Ready the Deployment is", async () => {
    const owner = await ownerConfigMap("front-release");
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: versionDeployment("front", "v1", "tranquil/front:v1", 1, owner),
    });
    await eventually(
      () => apps.readNamespacedDeployment({ name: "front-v1", namespace: NS }),
      (d) => d.status?.readyReplicas === 1 && d.status.observedGeneration === d.metadata?.generation,
      30_000,
      context,
    );
    expect(await versionOf(front, "v1")).toEqual({ version: "v1", desired: 1, ready: 0 });
    await core.createNamespacedService({
      namespace: NS,
      body: {
        metadata: { name: "front" },
        spec: { selector: { app: "front" }, ports: [{ name: "grpc", port: 50051, targetPort: 50051 }] },
      },
    });
    await eventually(
      () => versionOf(front, "v1"),
      (v) => v?.ready === 1,
    );
  });

  it("gives the new version an HPA equivalent to the old one's, owned by the new Deployment", async () => {
    const list = await hpas.listNamespacedHorizontalPodAutoscaler({ namespace: NS });
    const byTarget = new Map(list.items.map((h) => [h.spec?.scaleTargetRef.name, h]));
    const old = byTarget.get("item-v1");
    const copy = byTarget.get("item-v2");
    expect(copy?.metadata?.name).toBe("item-v2");
    expect(copy?.spec?.scaleTargetRef).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: "item-v2",
    });
    expect([copy?.spec?.minReplicas, copy?.spec?.maxReplicas]).toEqual([
      old?.spec?.minReplicas,
      old?.spec?.maxReplicas,
    ]);
    expect(copy?.spec?.metrics).toEqual(old?.spec?.metrics);
    const v2 = await apps.readNamespacedDeployment({ name: "item-v2", namespace: NS });
    expect(copy?.metadata?.ownerReferences?.map((o) => [o.kind, o.name, o.uid])).toEqual([
      ["Deployment", "item-v2", v2.metadata?.uid],
    ]);
  });

  it("is idempotent: asked again, it scales the same Deployment and copies no second HPA", async () => {
    const before = await apps.readNamespacedDeployment({ name: "item-v2", namespace: NS });
    await wl().ensureVersion({ ...item, version: "v2", fromVersion: "v1", replicas: 3 });
    await wl().ensureVersion({
      ...item,
      version: "v2",
      fromVersion: "v1",
      image: "tranquil/item:v2",
      replicas: 3,
    });
    const after = await apps.readNamespacedDeployment({ name: "item-v2", namespace: NS });
    expect(after.metadata?.uid).toBe(before.metadata?.uid);
    expect(after.spec?.replicas).toBe(3);
    const list = await hpas.listNamespacedHorizontalPodAutoscaler({ namespace: NS });
    expect(list.items.filter((h) => h.spec?.scaleTargetRef.name === "item-v2")).toHaveLength(1);
  });

  it("refuses an existing version whose image differs from the one asked for, and changes nothing", async () => {
    const attempt = wl().ensureVersion({
      ...item,
      version: "v2",
      fromVersion: "v1",
      image: "tranquil/item:v9",
      replicas: 1,
    });
    await expect(attempt).rejects.toBeInstanceOf(PermanentError);
    await expect(attempt).rejects.toThrow(
      /its image is tranquil\/item:v2, the upgrade asks for tranquil\/item:v9/,
    );
    const d = await apps.readNamespacedDeployment({ name: "item-v2", namespace: NS });
    expect(d.spec?.replicas).toBe(3);
  });

  it("refuses to guess the image when the old tag is not the old version", async () => {
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: versionDeployment("web", "v1", "registry.example/web:1.4.2", 0),
    });
    const web = { namespace: NS, service: "web" };
    await eventually(
      () => wl().versions(web),
      (v) => v.length === 1,
    );
    const attempt = wl().ensureVersion({ ...web, version: "v2", fromVersion: "v1", replicas: 1 });
    await expect(attempt).rejects.toThrow(
      /registry\.example\/web:1\.4\.2 has tag "1\.4\.2", not the version "v1"; set services\[\]\.image for web/,
    );
    await expect(apps.readNamespacedDeployment({ name: "web-v2", namespace: NS })).rejects.toMatchObject({
      code: 404,
    });
  });

  it("lets concurrent scales of one version all succeed (a stale resourceVersion is re-read and retried)", async () => {
    await Promise.all([1, 2, 3].map(() => wl().scaleVersion(item, "v2", 2)));
    const d = await apps.readNamespacedDeployment({ name: "item-v2", namespace: NS });
    expect(d.spec?.replicas).toBe(2);
    await eventually(
      () => versionOf(item, "v2"),
      (v) => v?.desired === 2 && v.ready === 2,
    );
  });

  it("scales the old version to zero after deleting its HPA, and keeps the Deployment", async () => {
    await wl().scaleVersion(item, "v1", 0);
    const list = await hpas.listNamespacedHorizontalPodAutoscaler({ namespace: NS });
    expect(list.items.map((h) => h.spec?.scaleTargetRef.name)).toEqual(["item-v2"]);
    await eventually(
      () => core.listNamespacedPod({ namespace: NS, labelSelector: "app=item,version=v1" }),
      (l) => l.items.length === 0,
      30_000,
      context,
    );
    expect(await versionOf(item, "v1")).toEqual({ version: "v1", desired: 0, ready: 0 });
    await wl().scaleVersion(item, "v1", 0);
  });

  it("deletes a version: its HPA, then the Deployment in the foreground, and its pods", async () => {
    await wl().deleteVersion(item, "v2");
    const list = await hpas.listNamespacedHorizontalPodAutoscaler({ namespace: NS });
    expect(list.items.filter((h) => h.spec?.scaleTargetRef.name === "item-v2")).toEqual([]);
    // Until its pods are gone, the version is listed with nothing desired, never with its old size.
    await eventually(
      () => versionOf(item, "v2"),
      (v) => v === undefined || v.desired === 0,
    );
    await eventually(
      async () => {
        const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: "app=item,version=v2" });
        const gone = await apps.readNamespacedDeployment({ name: "item-v2", namespace: NS }).then(
          () => false,
          (err: unknown) => (err as { code?: number }).code === 404,
        );
        return { pods: pods.items.length, gone };
      },
      (s) => s.pods === 0 && s.gone,
      30_000,
      context,
    );
    await eventually(
      () => versionOf(item, "v2"),
      (v) => v === undefined,
    );
    await wl().deleteVersion(item, "v2");
  });

  it("leaves garbage collection to the old version's owners: deleting the owner removes both versions", async () => {
    await wl().ensureVersion({
      ...front,
      version: "v2",
      fromVersion: "v1",
      image: "tranquil/front:v1",
      replicas: 1,
    });
    const created = await apps.readNamespacedDeployment({ name: "front-v2", namespace: NS });
    expect(created.spec?.template.spec?.containers[0]?.image).toBe("tranquil/front:v1");
    expect(created.metadata?.ownerReferences?.map((o) => o.name)).toEqual(["front-release"]);
    await core.deleteNamespacedConfigMap({ name: "front-release", namespace: NS });
    const exists = (name: string) =>
      apps.readNamespacedDeployment({ name, namespace: NS }).then(
        () => true,
        () => false,
      );
    await eventually(
      async () => [await exists("front-v1"), await exists("front-v2")],
      (s) => !s[0] && !s[1],
      30_000,
    );
  });

  it("refuses a namespace it does not manage", async () => {
    await expect(
      wl().ensureVersion({
        namespace: "elsewhere",
        service: "item",
        version: "v3",
        fromVersion: "v1",
        replicas: 1,
      }),
    ).rejects.toThrow(/namespace elsewhere is not one this controller manages \(default\)/);
    await expect(
      wl().scaleVersion({ namespace: "elsewhere", service: "item" }, "v1", 0),
    ).rejects.toBeInstanceOf(PermanentError);
    expect(await wl().versions({ namespace: "elsewhere", service: "item" })).toEqual([]);
  });
});
