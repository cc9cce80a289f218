/**
 * A gateway proxy's routes come only through the Gateways that select it: selector, server port,
 * server hosts and their namespace part, as Istio binds them. ServiceEntry hosts join the
 * service registry.
 */
import { describe, expect, it } from "vitest";
import { gateway, serviceEntry, virtualService } from "../api/builders.js";
import type { Gateway, GatewayServer, VirtualService } from "../api/types.js";
import { evaluate, type RoutingSnapshot } from "./evaluate.js";
import { gatewayBindings, serverHost } from "./gateway-binding.js";

const INGRESS = { labels: { istio: "ingressgateway", app: "istio-ingressgateway" }, port: 80 };
const http80 = { number: 80, name: "http", protocol: "HTTP" };

function gw(
  name: string,
  servers: GatewayServer[],
  namespace = "istio-system",
  created = "2026-01-01T00:00:00Z",
): Gateway {
  return gateway(name, { selector: { istio: "ingressgateway" }, servers }, namespace, {
    creationTimestamp: created,
  });
}

function shopRoutes(namespace: string, gateways: string[], service = "api"): VirtualService {
  return virtualService(
    `shop-${namespace}`,
    {
      hosts: ["shop.example.com"],
      gateways,
      http: [{ name: "main", route: [{ destination: { host: service } }] }],
    },
    namespace,
  );
}

function routeAtIngress(snapshot: Partial<RoutingSnapshot>, host = "shop.example.com"): string {
  const r = evaluate(
    { virtualServices: [], destinationRules: [], endpoints: [{ service: "api", port: 8080 }], ...snapshot },
    { authority: host, method: "GET", path: "/", headers: {}, gateway: "", gatewayProxy: INGRESS },
    () => 0,
  );
  return r.kind === "forward" ? `${r.vs ?? ""} → ${r.cluster}` : `${r.status} ${r.flag}`;
}

describe("gateway binding", () => {
  it("splits server hosts: no namespace part or `*` admits every namespace, `.` the Gateway's own", () => {
    expect(serverHost("Shop.Example.com", "istio-system")).toEqual({
      namespace: "*",
      host: "shop.example.com",
    });
    expect(serverHost("./shop.example.com", "istio-system")).toEqual({
      namespace: "istio-system",
      host: "shop.example.com",
    });
    expect(serverHost("prod/*", "istio-system")).toEqual({ namespace: "prod", host: "*" });
  });

  it("lists the Gateways that select the proxy on its port, oldest first", () => {
    const older = gw(
      "older",
      [{ port: http80, hosts: ["a.example"] }],
      "istio-system",
      "2026-01-01T00:00:00Z",
    );
    const newer = gw("newer", [{ port: http80, hosts: ["b.example"] }], "default", "2026-02-01T00:00:00Z");
    const tls = gw("tls", [{ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["*"] }]);
    const other = gateway("egress", {
      selector: { istio: "egressgateway" },
      servers: [{ port: http80, hosts: ["*"] }],
    });
    const empty = gateway("no-selector", { servers: [{ port: http80, hosts: ["*"] }] });
    expect(gatewayBindings([newer, tls, other, empty, older], INGRESS).map((b) => b.gateway)).toEqual([
      "istio-system/older",
      "default/newer",
    ]);
  });

  it("routes a host only through a Gateway exposing it, to the VirtualServices bound to that Gateway", () => {
    const shop = gw("shop", [{ port: http80, hosts: ["*.example.com"] }]);
    const vs = shopRoutes("default", ["istio-system/shop"]);
    expect(routeAtIngress({ virtualServices: [vs], gateways: [shop] })).toBe(
      "default/shop-default → outbound|8080||api.default.svc.cluster.local",
    );
    expect(routeAtIngress({ virtualServices: [vs], gateways: [] })).toBe("404 NR");
    expect(routeAtIngress({ virtualServices: [vs], gateways: [shop] }, "shop.example.org")).toBe("404 NR");
    // Bound to another Gateway (a short name qualifies with the VirtualService's namespace).
    expect(routeAtIngress({ virtualServices: [shopRoutes("default", ["shop"])], gateways: [shop] })).toBe(
      "404 NR",
    );
  });

  it("lets the namespace part of a server host keep other namespaces' VirtualServices out", () => {
    const onlyProd = gw("shop", [{ port: http80, hosts: ["prod/shop.example.com"] }]);
    expect(
      routeAtIngress({
        virtualServices: [shopRoutes("default", ["istio-system/shop"])],
        gateways: [onlyProd],
      }),
    ).toBe("404 NR");
    expect(
      routeAtIngress({
        virtualServices: [shopRoutes("prod", ["istio-system/shop"], "api.default.svc.cluster.local")],
        gateways: [onlyProd],
      }),
    ).toBe("prod/shop-prod → outbound|8080||api.default.svc.cluster.local");
    const own = gw("shop", [{ port: http80, hosts: ["./shop.example.com"] }], "default");
    expect(
      routeAtIngress({ virtualServices: [shopRoutes("default", ["default/shop"])], gateways: [own] }),
    ).toBe("default/shop-default → outbound|8080||api.default.svc.cluster.local");
  });

  it("serves a host two Gateways expose through the oldest one whose VirtualServices route it", () => {
    const a = gw("a", [{ port: http80, hosts: ["*"] }], "istio-system", "2026-01-01T00:00:00Z");
    const b = gw("b", [{ port: http80, hosts: ["*"] }], "istio-system", "2026-02-01T00:00:00Z");
    const viaB = shopRoutes("default", ["istio-system/b"]);
    expect(routeAtIngress({ virtualServices: [viaB], gateways: [a, b] })).toBe(
      "default/shop-default → outbound|8080||api.default.svc.cluster.local",
    );
  });
});

describe("ServiceEntry hosts", () => {
  const carrier = serviceEntry(
    "carrier",
    {
      hosts: ["api.carrier.example"],
      ports: [{ number: 443, name: "https" }],
      location: "MESH_EXTERNAL",
      resolution: "DNS",
    },
    "default",
  );
  const fromSidecar = (snapshot: Partial<RoutingSnapshot>): string => {
    const r = evaluate(
      { virtualServices: [], destinationRules: [], ...snapshot },
      { authority: "api.carrier.example", method: "GET", path: "/", headers: {}, gateway: "mesh", port: 443 },
      () => 0,
    );
    return r.kind === "forward" ? `${r.host} ${r.cluster}` : `${r.status} ${r.flag}`;
  };

  it("makes the host known to sidecars, with Istio's default route to its cluster", () => {
    expect(fromSidecar({})).toBe("404 NR");
    expect(fromSidecar({ serviceEntries: [carrier] })).toBe(
      "api.carrier.example outbound|443||api.carrier.example",
    );
  });

  it("keeps a host exported only to another namespace out of this proxy's registry", () => {
    const hidden = { ...carrier, spec: { ...carrier.spec, exportTo: ["billing"] } };
    expect(fromSidecar({ serviceEntries: [hidden] })).toBe("404 NR");
  });
});
