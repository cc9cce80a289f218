/**
 * The local cluster's control plane is the real thing: kube-apiserver, etcd and
 * kube-controller-manager built from Go modules, started on loopback and stopped by pid with
 * nothing left behind. What the Kubernetes backend relies on is checked against them here:
 * Istio's CRD schemas refuse a bad VirtualService, resourceVersion conflicts, the status
 * subresource, Deployments that create ReplicaSets and Pods, and garbage collection.
 */
import { existsSync } from "node:fs";
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  VersionApi,
  type V1Deployment,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "./support/cluster-test-kit.js";
import { startControlPlane, type ControlPlane } from "./control-plane/control-plane.js";
import { installCrds } from "./control-plane/crds.js";

const NS = "cp-test";
// The first run on a machine builds the control plane (several minutes); later ones start in seconds.
const START_TIMEOUT_MS = 40 * 60_000;

let cp: ControlPlane;
let kc: KubeConfig;

async function refusal(call: Promise<unknown>): Promise<ApiException<unknown>> {
  try {
    await call;
  } catch (err) {
    if (err instanceof ApiException) return err;
    throw err;
  }
  throw new Error("the API server accepted what it should have refused");
}

describe("the local control plane", () => {
  beforeAll(async () => {
    cp = await startControlPlane();
    kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    await installCrds(kc);
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NS } } });
  }, START_TIMEOUT_MS);

  afterAll(async () => {
    const pids = cp?.pids ?? [];
    await cp?.stop();
    // Nothing is left behind: every process has exited and the temporary folder is gone.
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    if (cp !== undefined) expect(existsSync(cp.dir)).toBe(false);
  });

  it("serves the pinned Kubernetes version on loopback over TLS with its own CA", async () => {
    expect(cp.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe("v1.37.2");
  });

  it("refuses a VirtualService that violates Istio's schema with 422", async () => {
    const api = kc.makeApiClient(CustomObjectsApi);
    const bad = await refusal(
      api.createNamespacedCustomObject({
        group: "networking.istio.io",
        version: "v1",
        namespace: NS,
        plural: "virtualservices",
        body: {
          apiVersion: "networking.istio.io/v1",
          kind: "VirtualService",
          metadata: { name: "reviews" },
          spec: {
            hosts: "reviews",
            http: [{ route: [{ destination: { host: "reviews" }, weight: "half" }] }],
          },
        },
      }),
    );
    expect(bad.code).toBe(422);
    expect(String(bad.body)).toMatch(/spec\.hosts|weight/);
  });

  it("refuses a write with a stale resourceVersion with 409", async () => {
    const api = kc.makeApiClient(CustomObjectsApi);
    const target = { group: "networking.istio.io", version: "v1", namespace: NS, plural: "virtualservices" };
    const created = (await api.createNamespacedCustomObject({
      ...target,
      body: {
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: "ratings" },
        spec: { hosts: ["ratings"], http: [{ route: [{ destination: { host: "ratings", subset: "v1" } }] }] },
      },
    })) as { metadata: { resourceVersion: string } };
    const edit = (subset: string, resourceVersion: string) => ({
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: "ratings", resourceVersion },
      spec: { hosts: ["ratings"], http: [{ route: [{ destination: { host: "ratings", subset } }] }] },
    });
    await api.replaceNamespacedCustomObject({
      ...target,
      name: "ratings",
      body: edit("v2", created.metadata.resourceVersion),
    });
    const stale = await refusal(
      api.replaceNamespacedCustomObject({
        ...target,
        name: "ratings",
        body: edit("v3", created.metadata.resourceVersion),
      }),
    );
    expect(stale.code).toBe(409);
  });

  it("keeps an Upgrade's status apart from its spec (the status subresource)", async () => {
    const api = kc.makeApiClient(CustomObjectsApi);
    const target = { group: "tranquil.dev", version: "v1alpha1", namespace: NS, plural: "upgrades" };
    await api.createNamespacedCustomObject({
      ...target,
      body: {
        apiVersion: "tranquil.dev/v1alpha1",
        kind: "Upgrade",
        metadata: { name: "auth-v2" },
        spec: { services: [{ name: "auth-service", from: "v1", to: "v2" }] },
        status: { phase: "Succeeded" },
      },
    });
    const read = (await api.getNamespacedCustomObject({ ...target, name: "auth-v2" })) as {
      metadata: { resourceVersion: string };
      status?: { phase?: string };
    };
    // A create (a spec write) cannot set the status.
    expect(read.status?.phase).toBeUndefined();
    const written = (await api.replaceNamespacedCustomObjectStatus({
      ...target,
      name: "auth-v2",
      body: { ...read, status: { phase: "Validating" } },
    })) as { spec: { services: unknown[] }; status?: { phase?: string } };
    expect(written.status?.phase).toBe("Validating");
    expect(written.spec.services).toHaveLength(1);
    // The status write is guarded by the resourceVersion it read, too.
    const stale = await refusal(
      api.replaceNamespacedCustomObjectStatus({
        ...target,
        name: "auth-v2",
        body: { ...read, status: { phase: "Failed" } },
      }),
    );
    expect(stale.code).toBe(409);
  });

  it("turns a Deployment into a ReplicaSet and Pods, and garbage-collects them with it", async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    const labels = { app: "auth-service", version: "v1" };
    const deployment: V1Deployment = {
      metadata: { name: "auth-service-v1", labels },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: "app", image: "tranquil/logistics-auth:v1" }] },
        },
      },
    };
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment });
    const rs = await eventually(
      () => apps.listNamespacedReplicaSet({ namespace: NS, labelSelector: "app=auth-service" }),
      (l) => l.items.length === 1,
    );
    expect(rs.items[0]?.metadata?.ownerReferences?.[0]?.kind).toBe("Deployment");
    const pods = await eventually(
      () => core.listNamespacedPod({ namespace: NS, labelSelector: "app=auth-service" }),
      (l) => l.items.length === 2,
    );
    // No node runs them yet: they wait to be scheduled.
    expect(pods.items.every((p) => p.status?.phase === "Pending")).toBe(true);

    await apps.deleteNamespacedDeployment({
      namespace: NS,
      name: "auth-service-v1",
      propagationPolicy: "Background",
    });
    await eventually(
      () => core.listNamespacedPod({ namespace: NS, labelSelector: "app=auth-service" }),
      (l) => l.items.length === 0,
    );
    await eventually(
      () => apps.listNamespacedReplicaSet({ namespace: NS, labelSelector: "app=auth-service" }),
      (l) => l.items.length === 0,
    );
  });
});
