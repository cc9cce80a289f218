import { describe, expect, it } from "vitest";
import { virtualService } from "../api/builders.js";
import type { ProxyContext } from "./match.js";
import { routeEntriesFor } from "./route-table.js";
import type { HTTPRoute } from "../api/types.js";

const sidecar: ProxyContext = {
  gateway: "mesh",
  port: 80,
  sourceLabels: { app: "api" },
  sourceNamespace: "default",
};
const ingress: ProxyContext = { ...sidecar, gateway: "default/ingress", sourceLabels: {} };
const dest = [{ destination: { host: "a" } }];

function names(http: HTTPRoute[], proxy: ProxyContext): string[] {
  return routeEntriesFor(
    virtualService("a", { hosts: ["a"], gateways: ["mesh", "ingress"], http }),
    proxy,
  ).map((e) => `${String(e.routeIndex)}:${e.name}`);
}

describe("the routes a proxy gets from a VirtualService (Istio BuildHTTPRoutesForVirtualService)", () => {
  it.each<[string, HTTPRoute[], ProxyContext, string[]]>([
    [
      "one entry per match block, named R.M",
      [{ name: "r", match: [{ name: "x", uri: { prefix: "/x" } }, { uri: { prefix: "/y" } }], route: dest }],
      sidecar,
      ["0:r.x", "0:r"],
    ],
    [
      "nothing after a route without match",
      [
        { name: "all", route: dest },
        { name: "never", match: [{ uri: { prefix: "/n" } }], route: dest },
      ],
      sidecar,
      ["0:all"],
    ],
    [
      "nothing after a prefix-/ block, even later blocks of the same route",
      [
        { name: "r", match: [{ uri: { prefix: "/" } }, { uri: { prefix: "/z" } }], route: dest },
        { name: "never", route: dest },
      ],
      sidecar,
      ["0:r"],
    ],
    [
      "a catch-all bound to another gateway does not hide later routes from the sidecar",
      [
        { name: "gw", match: [{ gateways: ["ingress"] }], route: dest },
        { name: "mesh", route: dest },
      ],
      sidecar,
      ["1:mesh"],
    ],
    [
      "the same catch-all hides later routes at that gateway",
      [
        { name: "gw", match: [{ gateways: ["ingress"] }], route: dest },
        { name: "mesh", route: dest },
      ],
      ingress,
      ["0:gw"],
    ],
    [
      "sourceLabels that the caller lacks drop the block",
      [
        { name: "web", match: [{ sourceLabels: { app: "web" } }], route: dest },
        { name: "api", match: [{ sourceLabels: { app: "api" } }], route: dest },
      ],
      sidecar,
      ["1:api"],
    ],
    [
      "a header condition keeps a prefix-/ block from being a catch-all",
      [
        { name: "h", match: [{ uri: { prefix: "/" }, headers: { x: {} } }], route: dest },
        { name: "rest", route: dest },
      ],
      sidecar,
      ["0:h", "1:rest"],
    ],
  ])("%s", (_n, http, proxy, expected) => {
    expect(names(http, proxy)).toEqual(expected);
  });
});
