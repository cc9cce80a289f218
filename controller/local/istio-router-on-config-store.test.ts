import { describe, expect, it } from "vitest";
import { createConfigStore } from "../../istio/local-mesh/control-plane/config-store.js";
import { virtualService } from "../../istio/api/builders.js";
import { ConfigStoreRouteTable } from "./config-store-route-table.js";
import type { UpgradeRef } from "../ports/router.js";
import { IstioRouter } from "../istio/istio-router.js";

const upgrade: UpgradeRef = {
  id: "up1",
  namespace: "default",
  spec: { services: [{ name: "reviews", from: "v1", to: "v2" }] },
};

function setup(): { router: IstioRouter; store: ReturnType<typeof createConfigStore> } {
  const store = createConfigStore();
  store.create(
    virtualService("reviews", {
      hosts: ["reviews"],
      http: [{ name: "main", route: [{ destination: { host: "reviews", subset: "v1" } }] }],
    }),
  );
  const router = new IstioRouter({
    table: new ConfigStoreRouteTable(store),
    enrolmentHeader: "x-tranquil-release",
  });
  return { router, store };
}

describe("IstioRouter", () => {
  it("reports Finalizing's edit again when its write is re-executed after a crash (G5)", async () => {
    const { router, store } = setup();
    const finalized = { mode: "finalized", sentinel: true, pins: [] } as const;
    const first = await router.writeRoutes(upgrade, 4, finalized);
    const edit = {
      namespace: "default",
      virtualService: "reviews",
      route: "main",
      destinationIndex: 0,
      host: "reviews",
      subset: "v1",
    };
    expect(first.recorded).toEqual([edit]);
    const version = store.get("VirtualService", "default", "reviews")?.metadata.resourceVersion;
    // The controller died before writing its status: the restarted one executes the write again.
    const again = await router.writeRoutes(upgrade, 4, finalized);
    expect(again.recorded).toEqual([edit]);
    expect(store.get("VirtualService", "default", "reviews")?.metadata.resourceVersion).toBe(version);
    // The last write removes the record from the VirtualService and leaves the edit.
    const last = await router.writeRoutes(upgrade, 5, { ...finalized, sentinel: false });
    expect(last.recorded).toEqual([]);
    const vs = store.get("VirtualService", "default", "reviews");
    expect(vs?.metadata.annotations?.["originals.tranquil.dev/up1"]).toBeUndefined();
    expect(vs?.spec.http).toEqual([
      { name: "main", route: [{ destination: { host: "reviews", subset: "v2" } }] },
    ]);
  });

  it("deletes only the object as it was planned from: a stale resourceVersion is refused (409)", async () => {
    const { store } = setup();
    const table = new ConfigStoreRouteTable(store);
    const read = store.get("VirtualService", "default", "reviews")!;
    const meta = read.metadata;
    store.update({ ...read, metadata: { ...meta, labels: { changed: "by-someone-else" } } });
    await expect(
      table.deleteVirtualService({
        namespace: "default",
        name: "reviews",
        resourceVersion: meta.resourceVersion!,
      }),
    ).rejects.toMatchObject({ status: 409 });
    expect(store.get("VirtualService", "default", "reviews")).toBeDefined();
  });
});
