/** The control plane's snapshots feed the evaluator as a proxy's routing snapshot. */
import { describe, expect, it } from "vitest";
import { versionSubsets, virtualService } from "../../api/builders.js";
import { evaluate } from "../../routing/evaluate.js";
import { createConfigStore } from "./config-store.js";
import { upsertEndpoint } from "./endpoints.js";
import type { Endpoint, MeshSnapshot } from "./types.js";

const pod = (version: string, n: number): Endpoint => ({
  service: "order",
  address: `127.0.0.1:${String(41000 + n)}`,
  port: 50051,
  labels: { app: "order", version },
  pod: `order-${version}-${String(n)}`,
  ready: true,
});

/** The instances a forward result can reach: the host's endpoints carrying the subset labels. */
function reachable(s: MeshSnapshot, authority: string): string[] {
  const r = evaluate(s, { authority, method: "POST", path: "/", headers: {}, gateway: "mesh" }, () => 0);
  if (r.kind !== "forward") return [`${String(r.status)} ${r.flag}`];
  return s.endpoints
    .filter(
      (e) => e.service === r.host && Object.entries(r.endpointLabels).every(([k, v]) => e.labels[k] === v),
    )
    .map((e) => e.pod);
}

describe("store snapshot → evaluator", () => {
  it("a route without subset reaches a newly started version (the trap Tranquil must avoid)", () => {
    const store = createConfigStore();
    store.create(
      virtualService("order", { hosts: ["order"], http: [{ route: [{ destination: { host: "order" } }] }] }),
    );
    upsertEndpoint(store, pod("v1", 1));
    expect(reachable(store.snapshot(), "order")).toEqual(["order-v1-1"]);
    upsertEndpoint(store, pod("v2", 2));
    expect(reachable(store.snapshot(), "order")).toEqual(["order-v1-1", "order-v2-2"]);
  });

  it("a route to subset v1 does not reach the new version; a missing subset is NC", () => {
    const store = createConfigStore();
    store.create(versionSubsets("order", ["v1"]));
    const created = store.create(
      virtualService("order", {
        hosts: ["order"],
        http: [{ route: [{ destination: { host: "order", subset: "v1" } }] }],
      }),
    );
    upsertEndpoint(store, pod("v1", 1));
    upsertEndpoint(store, pod("v2", 2));
    expect(reachable(store.snapshot(), "order")).toEqual(["order-v1-1"]);
    store.update({
      ...created,
      spec: { hosts: ["order"], http: [{ route: [{ destination: { host: "order", subset: "v2" } }] }] },
    });
    expect(reachable(store.snapshot(), "order")).toEqual(["503 NC"]);
  });

  it("a service whose pods are all gone still routes (to no endpoint: UH at the proxy), not NR", () => {
    const store = createConfigStore();
    upsertEndpoint(store, pod("v1", 1));
    store.delete("Endpoint", "default", "order-v1-1");
    const r = evaluate(
      store.snapshot(),
      { authority: "order", method: "GET", path: "/", headers: {}, gateway: "mesh" },
      () => 0,
    );
    expect(r).toMatchObject({
      kind: "forward",
      routeName: "default",
      cluster: "outbound|50051||order.default.svc.cluster.local",
    });
  });
});
