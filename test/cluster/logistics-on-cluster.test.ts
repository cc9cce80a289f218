/**
 * The logistics sample system on the local cluster, as a user runs it: logistics.yaml applied to
 * the real API server brings every Deployment's pods to Running and Ready on the node agent, the
 * proxies learn their endpoints from the EndpointSlices, and users' journeys through the ingress
 * succeed, served by the pods Kubernetes named (their TraceManagers report under those names).
 */
import { AppsV1Api, CoreV1Api, type V1Deployment } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runLoad } from "../../sample-services/load/index.js";
import { CLUSTER_LOGISTICS_TOPOLOGY, LOGISTICS_YAML } from "./demo/logistics-manifests.js";
import { eventually } from "./support/cluster-test-kit.js";
import { applyYamlFile, startLocalCluster, type LocalCluster } from "./support/local-cluster.js";
import { isReady, proxyClusters } from "./support/workloads.js";

const NS = "default";

let cluster: LocalCluster | undefined;
const the = (): LocalCluster => {
  if (cluster === undefined) throw new Error("the local cluster did not start");
  return cluster;
};
const context = (): string => `(errors: ${the().errors.join("; ")})`;

describe("the logistics app on the local cluster", { timeout: 120_000 }, () => {
  beforeAll(async () => {
    cluster = await startLocalCluster({
      topology: CLUSTER_LOGISTICS_TOPOLOGY,
      mesh: { als: { flushIntervalMs: 100 } },
    });
  }, 40 * 60_000);

  afterAll(async () => {
    if ((cluster?.errors.length ?? 0) > 0)
      console.log(`local cluster errors:\n${cluster?.errors.join("\n")}`);
    await cluster?.stop();
  });

  it("brings every Deployment of logistics.yaml to Running and Ready pods, each a mesh instance of its name", async () => {
    const { kc, mesh } = the();
    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    const t0 = performance.now();
    const applied = await applyYamlFile(kc, LOGISTICS_YAML);
    const deployments = applied.filter((o) => o.kind === "Deployment") as V1Deployment[];
    expect(deployments).toHaveLength(5);
    const wanted = deployments.reduce((n, d) => n + (d.spec?.replicas ?? 1), 0);
    const pods = await eventually(
      () => core.listNamespacedPod({ namespace: NS }),
      (l) => l.items.length === wanted && l.items.every(isReady),
      60_000,
      context,
    );
    const readyMs = performance.now() - t0;
    for (const d of deployments) {
      const name = d.metadata?.name ?? "";
      const status = await eventually(
        () => apps.readNamespacedDeploymentStatus({ name, namespace: NS }),
        (s) => s.status?.readyReplicas === d.spec?.replicas,
        30_000,
        context,
      );
      expect(status.status?.availableReplicas).toBe(d.spec?.replicas);
    }
    // Every instance of the mesh is a pod of the cluster, under the pod's own name.
    expect(
      mesh
        .instances()
        .map((i) => i.pod)
        .sort(),
    ).toEqual(pods.items.map((p) => p.metadata?.name ?? "").sort());
    expect(mesh.instances().every((i) => i.traceManager)).toBe(true);
    // The data path is ready once the ingress lists every pod of each service's v1 subset.
    await eventually(
      () => proxyClusters(mesh.ingressAdminUrl),
      (c) =>
        deployments.every((d) => {
          const app = d.spec?.template.metadata?.labels?.["app"] ?? "";
          const port = d.spec?.template.spec?.containers[0]?.ports?.[0]?.containerPort ?? 0;
          const hosts = c.get(`outbound|${String(port)}|v1|${app}.default.svc.cluster.local`) ?? [];
          return hosts.filter((h) => h.healthy).length === (d.spec?.replicas ?? 1);
        }),
      30_000,
      context,
    );
    const routedMs = performance.now() - t0;
    console.log(
      `logistics.yaml: ${String(wanted)} pods Ready ${(readyMs / 1000).toFixed(1)} s after the apply, ` +
        `every endpoint at the ingress after ${(routedMs / 1000).toFixed(1)} s`,
    );
  });

  it("serves users' journeys through the ingress, every transaction at v1, by the Kubernetes-named pods", async () => {
    const { kc, mesh, agent } = the();
    const core = kc.makeApiClient(CoreV1Api);
    const podNames = (await core.listNamespacedPod({ namespace: NS })).items.map(
      (p) => p.metadata?.name ?? "",
    );
    const report = await runLoad({
      baseUrl: mesh.ingressUrl,
      durationMs: 1_500,
      maxJourneys: 3,
      ratePerSecond: 3,
      concurrency: 3,
      drainTimeoutMs: 20_000,
    });
    expect(report.summary.failureExamples).toEqual([]);
    expect(report.journeys.completed).toBe(report.journeys.started);
    expect(report.summary.total).toBeGreaterThan(10);
    expect(report.summary.mixed).toBe(0);
    const order = report.transactions.find((r) => r.kind === "create-order");
    expect(order?.ok).toBe(true);
    expect([...(order?.servedBy ?? [])].sort()).toEqual(
      [
        "auth-service@v1",
        "item-service@v1",
        "logistics-api@v1",
        "order-service@v1",
        "station-service@v1",
      ].sort(),
    );
    for (const versions of Object.values(report.summary.versionsSeen))
      expect(Object.keys(versions)).toEqual(["v1"]);

    // The TraceManagers that admitted the calls are the pods' own, under the pods' names.
    const reports = await eventually(
      () => mesh.traceStore.pods(),
      (ps) =>
        ["logistics-api", "auth-service", "order-service", "item-service", "station-service"].every((s) =>
          ps.some((p) => p.service === s && (p.envoy?.extAuthz.ok ?? 0) > 0),
        ),
      15_000,
      context,
    );
    const admitted = reports
      .filter((p) => p.role === "sidecar" && (p.envoy?.extAuthz.ok ?? 0) > 0)
      .map((p) => p.pod);
    for (const pod of admitted) expect(podNames).toContain(pod);
    // The gateway's TraceManager reports as the gateway's mirror pod.
    expect(reports.find((p) => p.role === "gateway")?.pod).toBe(agent.gateway.name);
    expect((await mesh.traceStore.violations()).total).toBe(0);
  });

  it("shows the ingress gateway as the Ready pod the Gateway's selector matches", async () => {
    const { kc, agent } = the();
    const core = kc.makeApiClient(CoreV1Api);
    const selected = await core.listPodForAllNamespaces({ labelSelector: "istio=ingressgateway" });
    expect(selected.items.map((p) => `${p.metadata?.namespace ?? ""}/${p.metadata?.name ?? ""}`)).toEqual([
      `istio-system/${agent.gateway.name}`,
    ]);
    expect(selected.items.every(isReady)).toBe(true);
    expect(the().errors).toEqual([]);
  });
});
