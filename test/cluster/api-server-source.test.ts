/**
 * In cluster mode the local control plane takes its routing from the API server only: a
 * VirtualService applied, changed and deleted through the real kube-apiserver reaches every
 * proxy that receives it, as each proxy's own `/config_dump` shows; the ingress serves a host
 * only while a Gateway in the API server exposes it; ServiceEntries are mirrored too.
 */
import { CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getWithHost } from "../../istio/local-mesh/proxies/testing/get-with-host.js";
import { startNodeMesh } from "./support/cluster-test-kit.js";
import { mirrorFromApiServer } from "../../istio/local-mesh/control-plane/api-server-source.js";
import type { MeshHandle } from "../../istio/local-mesh/runtime/mesh-runtime.js";
import { startControlPlane, type ControlPlane } from "./control-plane/control-plane.js";
import { installCrds } from "./control-plane/crds.js";

const VS = { group: "networking.istio.io", version: "v1", namespace: "default", plural: "virtualservices" };
const GW = { ...VS, namespace: "istio-system", plural: "gateways" };
const SE = { ...VS, plural: "serviceentries" };

/** A short resync, so the test sees several within a second. */
const RESYNC_MS = 200;

let cp: ControlPlane | undefined;
let mesh: MeshHandle | undefined;
let mirror: { stop(): Promise<void> } | undefined;
let kc: KubeConfig;
const errors: string[] = [];

/** The route names each sidecar's Envoy-shaped admin shows for the item service. */
async function routeNames(): Promise<string[][]> {
  const sidecars = mesh?.instances() ?? [];
  return Promise.all(
    sidecars.map(async (i) => {
      const res = await fetch(`${i.adminUrl}/config_dump?resource=dynamic_route_configs`);
      const dump = (await res.json()) as {
        configs: { route_config: { virtual_hosts?: { routes?: { name?: string }[] }[] } }[];
      };
      return dump.configs.flatMap((c) =>
        (c.route_config.virtual_hosts ?? []).flatMap((h) => (h.routes ?? []).map((r) => r.name ?? "")),
      );
    }),
  );
}

async function everyProxy(pred: (names: string[]) => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await routeNames();
    if (all.length > 0 && all.every(pred)) return;
    if (Date.now() > deadline)
      throw new Error(`not every proxy got it: ${JSON.stringify(all)}; ${errors.join("; ")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function itemRoutes(route: string, subset: string) {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: "item" },
    spec: { hosts: ["item"], http: [{ name: route, route: [{ destination: { host: "item", subset } }] }] },
  };
}

describe("the local control plane in cluster mode", { timeout: 60_000 }, () => {
  beforeAll(async () => {
    cp = await startControlPlane();
    kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    await installCrds(kc);
    mesh = await startNodeMesh();
    await mesh.startInstance("front", "v1");
    await mesh.startInstance("item", "v1");
    mirror = await mirrorFromApiServer(kc, mesh.configStore, {
      resyncMs: RESYNC_MS,
      onError: (err, what) => errors.push(`${what}: ${err instanceof Error ? err.message : String(err)}`),
    });
  }, 40 * 60_000);

  afterAll(async () => {
    await mirror?.stop();
    await mesh?.stop();
    await cp?.stop();
  });

  it("pushes a VirtualService applied, changed and deleted through the API server to every proxy", async () => {
    const api = kc.makeApiClient(CustomObjectsApi);
    await api.createNamespacedCustomObject({ ...VS, body: itemRoutes("to-v1", "v1") });
    await everyProxy((names) => names.includes("to-v1"));
    expect(mesh?.configStore.get("VirtualService", "default", "item")?.spec.http?.[0]?.name).toBe("to-v1");

    const current = (await api.getNamespacedCustomObject({ ...VS, name: "item" })) as {
      metadata: { resourceVersion: string };
    };
    const changed = itemRoutes("to-v2", "v2");
    await api.replaceNamespacedCustomObject({
      ...VS,
      name: "item",
      body: {
        ...changed,
        metadata: { ...changed.metadata, resourceVersion: current.metadata.resourceVersion },
      },
    });
    await everyProxy((names) => names.includes("to-v2") && !names.includes("to-v1"));

    await api.deleteNamespacedCustomObject({ ...VS, name: "item" });
    await everyProxy((names) => !names.includes("to-v2"));
    expect(mesh?.configStore.get("VirtualService", "default", "item")).toBeUndefined();
    expect(errors).toEqual([]);
  });

  it("resyncs: a store copy changed behind the mirror's back is put back; an unchanged one is not rewritten", async () => {
    const api = kc.makeApiClient(CustomObjectsApi);
    const store = mesh?.configStore;
    if (store === undefined) throw new Error("no mesh");
    await api.createNamespacedCustomObject({
      ...VS,
      body: { ...itemRoutes("resync", "v1"), metadata: { name: "resync" } },
    });
    const deadline = Date.now() + 10_000;
    while (store.get("VirtualService", "default", "resync") === undefined) {
      if (Date.now() > deadline) throw new Error(`never mirrored; ${errors.join("; ")}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const mirrored = store.get("VirtualService", "default", "resync");
    await new Promise((r) => setTimeout(r, 5 * RESYNC_MS));
    // Five resyncs of an unchanged object: no write, the same resourceVersion.
    expect(store.get("VirtualService", "default", "resync")?.metadata.resourceVersion).toBe(
      mirrored?.metadata.resourceVersion,
    );
    if (mirrored === undefined) throw new Error("no mirrored copy");
    store.update({ ...mirrored, spec: { ...mirrored.spec, hosts: ["drifted"] } });
    expect(store.get("VirtualService", "default", "resync")?.spec.hosts).toEqual(["drifted"]);
    const back = Date.now() + 5_000;
    while (store.get("VirtualService", "default", "resync")?.spec.hosts?.[0] !== "item") {
      if (Date.now() > back) throw new Error("the resync never put the API server's copy back");
      await new Promise((r) => setTimeout(r, 50));
    }
    await api.deleteNamespacedCustomObject({ ...VS, name: "resync" });
    expect(errors).toEqual([]);
  });

  it("serves a gateway host only while a Gateway in the API server exposes it", async () => {
    const api = kc.makeApiClient(CustomObjectsApi);
    const status = async (): Promise<number> =>
      (await getWithHost(new URL(mesh?.ingressUrl ?? "").port, "shop.example.com")).status;
    const until = async (want: number): Promise<void> => {
      const deadline = Date.now() + 20_000;
      while ((await status()) !== want) {
        if (Date.now() > deadline)
          throw new Error(`the ingress never answered ${want}; ${errors.join("; ")}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await api.createNamespacedCustomObject({
      ...VS,
      body: {
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: "shop" },
        spec: {
          hosts: ["shop.example.com"],
          gateways: ["istio-system/shop"],
          http: [{ name: "hello", directResponse: { status: 200, body: { string: "hello" } } }],
        },
      },
    });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await status()).toBe(404);
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: "istio-system" } } });
    await api.createNamespacedCustomObject({
      ...GW,
      body: {
        apiVersion: "networking.istio.io/v1",
        kind: "Gateway",
        metadata: { name: "shop" },
        spec: {
          selector: { istio: "ingressgateway" },
          servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*.example.com"] }],
        },
      },
    });
    await until(200);
    expect(mesh?.configStore.get("Gateway", "istio-system", "shop")?.spec.selector).toEqual({
      istio: "ingressgateway",
    });
    await api.deleteNamespacedCustomObject({ ...GW, name: "shop" });
    await until(404);
    await api.deleteNamespacedCustomObject({ ...VS, name: "shop" });
    expect(errors).toEqual([]);
  });

  it("mirrors ServiceEntries, and refuses one the schema's CEL rules forbid", async () => {
    const api = kc.makeApiClient(CustomObjectsApi);
    const entry = (spec: object) => ({
      apiVersion: "networking.istio.io/v1",
      kind: "ServiceEntry",
      metadata: { name: "carrier" },
      spec: { hosts: ["api.carrier.example"], ports: [{ number: 443, name: "https" }], ...spec },
    });
    await expect(
      api.createNamespacedCustomObject({
        ...SE,
        body: entry({ resolution: "NONE", endpoints: [{ address: "127.0.0.1" }] }),
      }),
    ).rejects.toMatchObject({ code: 422, body: expect.stringContaining("NONE mode cannot set endpoints") });
    await api.createNamespacedCustomObject({
      ...SE,
      body: entry({ location: "MESH_EXTERNAL", resolution: "DNS" }),
    });
    await eventuallyTrue(() => mesh?.configStore.get("ServiceEntry", "default", "carrier") !== undefined);
    expect(mesh?.configStore.get("ServiceEntry", "default", "carrier")?.spec.hosts).toEqual([
      "api.carrier.example",
    ]);
    await api.deleteNamespacedCustomObject({ ...SE, name: "carrier" });
    await eventuallyTrue(() => mesh?.configStore.get("ServiceEntry", "default", "carrier") === undefined);
    expect(errors).toEqual([]);
  });
});

async function eventuallyTrue(pred: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms; ${errors.join("; ")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
