/**
 * PodInventory on the real API server: sidecar pods with and without a TraceManager (as a
 * container or a native sidecar, or known by Istio's injection annotation), gateway pods of a
 * Gateway in another namespace, terminating and ended pods, and the caches following changes.
 * No node runs these pods: the inventory lists what the cluster records, Pending pods included.
 */
import { CoreV1Api, CustomObjectsApi, type V1Pod } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../../../test/cluster/support/cluster-test-kit.js";
import { startKubeTestEnv, type KubeTestEnv } from "../../../test/cluster/support/kube-test-env.js";
import { serviceAccountKubeConfig } from "../routes/testing/service-account.js";
import { PodInventory } from "./pod-inventory.js";
import { INVENTORY_RBAC_RULES } from "./rbac.js";

const NS = "shop";
const GATEWAY_NS = "istio-system";
const HOLD = "tranquil.dev/test-hold";

let env: KubeTestEnv;
let core: CoreV1Api;
let custom: CustomObjectsApi;
let inventory: PodInventory | undefined;

function inv(): PodInventory {
  if (inventory === undefined) throw new Error("inventory not started");
  return inventory;
}

const app = { name: "app", image: "tranquil/item:v1" };
const proxy = { name: "istio-proxy", image: "docker.io/istio/proxyv2:1.27.0" };
const traceManager = { name: "tranquil-trace-manager", image: "tranquil/trace-manager:dev" };

async function pod(namespace: string, body: V1Pod): Promise<void> {
  await core.createNamespacedPod({ namespace, body });
}

async function gateway(name: string, selector: Record<string, string> | undefined): Promise<void> {
  await custom.createNamespacedCustomObject({
    group: "networking.istio.io",
    version: "v1",
    plural: "gateways",
    namespace: NS,
    body: {
      apiVersion: "networking.istio.io/v1",
      kind: "Gateway",
      metadata: { name },
      spec: {
        ...(selector !== undefined ? { selector } : {}),
        servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
      },
    },
  });
}

describe("PodInventory on a real API server", { timeout: 60_000 }, () => {
  beforeAll(async () => {
    env = await startKubeTestEnv();
    core = env.kc.makeApiClient(CoreV1Api);
    custom = env.kc.makeApiClient(CustomObjectsApi);
    for (const ns of [NS, GATEWAY_NS, "default"]) {
      await env.namespace(ns);
      // The controller-manager makes each namespace's default ServiceAccount; pods need it.
      await eventually(
        () =>
          core.readNamespacedServiceAccount({ name: "default", namespace: ns }).then(
            () => true,
            () => false,
          ),
        (made) => made,
      );
    }
    await pod(NS, {
      metadata: { name: "item-a", labels: { app: "item", version: "v1" } },
      spec: { containers: [app, proxy, traceManager] },
    });
    await pod(NS, {
      metadata: { name: "item-b", labels: { app: "item", version: "v2" }, finalizers: [HOLD] },
      spec: { containers: [app, proxy] },
    });
    await pod(NS, {
      metadata: {
        name: "legacy",
        labels: { app: "legacy" },
        annotations: { "sidecar.istio.io/status": '{"containers":["istio-proxy"]}' },
      },
      spec: { containers: [app] },
    });
    await pod(NS, {
      metadata: { name: "native", labels: { app: "item", version: "v1" } },
      spec: {
        initContainers: [
          { ...proxy, restartPolicy: "Always" },
          { ...traceManager, restartPolicy: "Always" },
        ],
        containers: [app],
      },
    });
    await pod(NS, { metadata: { name: "batch", labels: { app: "batch" } }, spec: { containers: [app] } });
    await pod("default", {
      metadata: { name: "elsewhere", labels: { app: "item", version: "v1" } },
      spec: { containers: [app, proxy] },
    });
    await pod(GATEWAY_NS, {
      metadata: { name: "ingress-1", labels: { istio: "ingressgateway" } },
      spec: { containers: [proxy] },
    });
    await pod(GATEWAY_NS, {
      metadata: { name: "ingress-2", labels: { istio: "ingressgateway" } },
      spec: { containers: [proxy, traceManager] },
    });
    await pod(GATEWAY_NS, {
      metadata: { name: "egress-1", labels: { istio: "egressgateway" } },
      spec: { containers: [proxy] },
    });
    await gateway("public", { istio: "ingressgateway" });
    await gateway("unbound", undefined);
    const kc = await serviceAccountKubeConfig(env.kc, {
      namespace: "tranquil-system",
      name: "inventory",
      rules: INVENTORY_RBAC_RULES,
    });
    inventory = await PodInventory.start({ kc, backoff: { initialMs: 200, maxMs: 2_000 } });
  }, 120_000);

  afterAll(async () => {
    await inventory?.stop();
    await env.stop();
  });

  it("lists every gateway pod and the namespace's sidecar pods, with or without a TraceManager", async () => {
    expect(await inv().proxies(NS)).toEqual([
      { pod: "ingress-1", role: "gateway", traceManager: false, terminating: false },
      { pod: "ingress-2", role: "gateway", traceManager: true, terminating: false },
      {
        pod: "item-a",
        role: "sidecar",
        service: "item",
        version: "v1",
        traceManager: true,
        terminating: false,
      },
      {
        pod: "item-b",
        role: "sidecar",
        service: "item",
        version: "v2",
        traceManager: false,
        terminating: false,
      },
      { pod: "legacy", role: "sidecar", service: "legacy", traceManager: false, terminating: false },
      {
        pod: "native",
        role: "sidecar",
        service: "item",
        version: "v1",
        traceManager: true,
        terminating: false,
      },
    ]);
  });

  it("lists the gateway pods for every namespace, and another namespace's sidecars only there", async () => {
    const other = await inv().proxies("default");
    expect(other.map((p) => `${p.role}:${p.pod}`)).toEqual([
      "gateway:ingress-1",
      "gateway:ingress-2",
      "sidecar:elsewhere",
    ]);
    const gatewayNs = await inv().proxies(GATEWAY_NS);
    expect(gatewayNs.map((p) => `${p.role}:${p.pod}`)).toEqual([
      "gateway:ingress-1",
      "gateway:ingress-2",
      "sidecar:egress-1",
    ]);
  });

  it("maps each Gateway to the pods its selector matches in any namespace; no selector matches none", async () => {
    expect(await inv().gateways()).toEqual([
      { namespace: NS, name: "public", pods: ["ingress-1", "ingress-2"] },
      { namespace: NS, name: "unbound", pods: [] },
    ]);
  });

  it("follows pods as they come: a new gateway pod and a new Gateway are listed without a restart", async () => {
    await pod(GATEWAY_NS, {
      metadata: { name: "egress-2", labels: { istio: "egressgateway" } },
      spec: { containers: [proxy, traceManager] },
    });
    await gateway("outbound", { istio: "egressgateway" });
    const gateways = await eventually(
      () => inv().gateways(),
      (g) => g.find((x) => x.name === "outbound")?.pods.length === 2,
    );
    expect(gateways.find((x) => x.name === "outbound")?.pods).toEqual(["egress-1", "egress-2"]);
    const proxies = await inv().proxies(NS);
    expect(proxies.filter((p) => p.role === "gateway").map((p) => p.pod)).toEqual([
      "egress-1",
      "egress-2",
      "ingress-1",
      "ingress-2",
    ]);
  });

  it("marks a pod being deleted as terminating until it is gone", async () => {
    await core.deleteNamespacedPod({ name: "item-b", namespace: NS });
    const during = await eventually(
      () => inv().proxies(NS),
      (l) => l.find((p) => p.pod === "item-b")?.terminating === true,
    );
    expect(during.find((p) => p.pod === "item-b")?.traceManager).toBe(false);
    await core.patchNamespacedPod({
      name: "item-b",
      namespace: NS,
      body: [{ op: "remove", path: "/metadata/finalizers" }],
    });
    await eventually(
      () => inv().proxies(NS),
      (l) => !l.some((p) => p.pod === "item-b"),
    );
  });

  it("leaves out a pod that has ended: it runs no proxy any more", async () => {
    const current = await core.readNamespacedPod({ name: "legacy", namespace: NS });
    current.status = { phase: "Succeeded" };
    await core.replaceNamespacedPodStatus({ name: "legacy", namespace: NS, body: current });
    const after = await eventually(
      () => inv().proxies(NS),
      (l) => !l.some((p) => p.pod === "legacy"),
    );
    expect(after.map((p) => p.pod)).toContain("item-a");
  });
});
