/** Delegate VirtualServices and Gateway API routes of a service (pure). */
import { describe, expect, it } from "vitest";
import type { VirtualService } from "../../../istio/api/types.js";
import { delegateProblems, gatewayApiProblems, type GatewayApiRoute } from "./route-problems.js";

const FQDN = "item.shop.svc.cluster.local";

const vs = (name: string, spec: VirtualService["spec"], namespace = "shop"): VirtualService => ({
  apiVersion: "networking.istio.io/v1",
  kind: "VirtualService",
  metadata: { name, namespace },
  spec,
});

describe("delegateProblems", () => {
  it("finds a VirtualService of the host that delegates, and a delegate that routes to the host", () => {
    const problems = delegateProblems(
      [
        vs("root", { hosts: ["item"], http: [{ delegate: { name: "item-routes", namespace: "shop" } }] }),
        vs("item-routes", { http: [{ route: [{ destination: { host: "item" } }] }] }),
        vs("plain", { hosts: ["item"], http: [{ route: [{ destination: { host: "item" } }] }] }),
        vs("other-delegate", { http: [{ route: [{ destination: { host: "item" } }] }] }, "web"),
      ],
      FQDN,
      "item",
    );
    expect(problems.map((p) => p.message)).toEqual([
      "VirtualService shop/root delegates routes of item; delegate VirtualServices are not supported yet",
      "VirtualService shop/item-routes is a delegate that routes to item; delegate VirtualServices are not supported yet",
    ]);
  });
});

describe("gatewayApiProblems", () => {
  const route = (name: string, namespace: string, spec: GatewayApiRoute["spec"]): GatewayApiRoute => ({
    metadata: { name, namespace },
    ...(spec !== undefined ? { spec } : {}),
  });
  it.each<[string, GatewayApiRoute, boolean]>([
    [
      "a backend in the route's namespace",
      route("r", "shop", { rules: [{ backendRefs: [{ name: "item" }] }] }),
      true,
    ],
    [
      "a backend named in another namespace",
      route("r", "edge", { rules: [{ backendRefs: [{ name: "item", namespace: "shop" }] }] }),
      true,
    ],
    [
      "a backend of another namespace's item",
      route("r", "edge", { rules: [{ backendRefs: [{ name: "item" }] }] }),
      false,
    ],
    [
      "a backend of another kind",
      route("r", "shop", {
        rules: [{ backendRefs: [{ group: "example.io", kind: "Bucket", name: "item" }] }],
      }),
      false,
    ],
    [
      "mesh routing attached to the Service",
      route("r", "shop", { parentRefs: [{ kind: "Service", name: "item" }] }),
      true,
    ],
    ["a Gateway parent of that name", route("r", "shop", { parentRefs: [{ name: "item" }] }), false],
  ])("%s → %s", (_what, r, found) => {
    expect(gatewayApiProblems("HTTPRoute", [r], "item", "shop").length > 0).toBe(found);
  });
});
