import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseRouteConfigs } from "./config-dump.js";
import { reportedEpoch, routeEpochs, sentinelEpoch, virtualHostHolds } from "./route-epochs.js";
import {
  ALLOW_ANY,
  dynamicRouteConfig,
  filteredDump,
  serviceVirtualHost,
  wildcardVirtualHost,
} from "./testdata/route-dumps.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const sample = (name: string): string =>
  readFileSync(path.resolve(repoRoot, "../shared/envoy-samples/config_dump", name), "utf8");

const AUTH_V1 = "outbound|8080|v1|auth-service.shop.svc.cluster.local";
const AUTH_V2 = "outbound|8080|v2|auth-service.shop.svc.cluster.local";
const ORDERS_V1 = "outbound|8080|v1|orders.shop.svc.cluster.local";

const parse = (configs: Record<string, unknown>[]) => parseRouteConfigs(filteredDump(configs));

describe("sentinelEpoch", () => {
  it.each([
    ["tranquil-u1-e3", 3],
    ["tranquil-u1-e12.enrolled", 12],
    ["tranquil-u1-e0.catch all", 0],
    ["tranquil-u1-e", null],
    ["tranquil-u1-e3x", null],
    ["tranquil-u10-e3", null],
    ["tranquil-u1-e1-e3", null],
    ["xtranquil-u1-e3", null],
    ["default", null],
    [undefined, null],
  ])("%s → %s for upgrade u1", (name, expected) => {
    expect(sentinelEpoch(name, "u1")).toBe(expected);
  });

  it("escapes regex characters in the upgrade id", () => {
    expect(sentinelEpoch("tranquil-a.b-e2", "a.b")).toBe(2);
    expect(sentinelEpoch("tranquil-aXb-e2", "a.b")).toBeNull();
  });
});

describe("virtualHostHolds", () => {
  const [rc] = parse([
    dynamicRouteConfig("8080", [
      serviceVirtualHost("auth-service", "shop", 8080, [{ name: "default", cluster: AUTH_V1 }]),
      { name: "authz:80", domains: ["authz", "authz:80"], routes: [] },
      { name: "only-port", domains: ["auth-service:8080"], routes: [] },
      wildcardVirtualHost(80, [{ weighted: [ORDERS_V1, AUTH_V2] }]),
      ALLOW_ANY,
    ]),
  ]);
  const vh = (name: string) => rc!.virtualHosts.find((v) => v.name === name)!;

  it.each([
    ["auth-service.shop.svc.cluster.local:8080", "auth-service", true],
    ["auth-service.shop.svc.cluster.local:8080", "auth-service.shop", true],
    ["auth-service.shop.svc.cluster.local:8080", "auth-service.shop.svc.cluster.local", true],
    ["auth-service.shop.svc.cluster.local:8080", "AUTH-SERVICE", true],
    ["auth-service.shop.svc.cluster.local:8080", "auth", false],
    ["auth-service.shop.svc.cluster.local:8080", "orders", false],
    ["authz:80", "auth", false],
    ["only-port", "auth-service", true],
    ["*:80", "auth-service", true], // through a weighted cluster only
    ["*:80", "orders.shop.svc.cluster.local", true],
    ["*:80", "payments", false],
    ["allow_any", "auth-service", false],
  ])("%s holds %s: %s", (name, host, expected) => {
    expect(virtualHostHolds(vh(name), host)).toBe(expected);
  });
});

describe("routeEpochs", () => {
  it("takes the minimum over route configurations (sidecar `8080`, gateway `http.80`)", () => {
    const configs = parse([
      dynamicRouteConfig("8080", [
        serviceVirtualHost("auth-service", "shop", 8080, [
          { name: "tranquil-u1-e5", cluster: AUTH_V2 },
          { name: "default", cluster: AUTH_V1 },
        ]),
        ALLOW_ANY,
      ]),
      dynamicRouteConfig("http.80", [
        wildcardVirtualHost(80, [
          { name: "tranquil-u1-e4", weighted: [AUTH_V1, AUTH_V2] },
          { name: "tranquil-u1-e4", cluster: ORDERS_V1 },
        ]),
      ]),
    ]);
    expect(routeEpochs(configs, "u1", ["auth-service"])).toEqual({ status: "confirmed", epoch: 4 });
  });

  it("reads R.M names, one Envoy route per named match", () => {
    const configs = parse([
      dynamicRouteConfig("8080", [
        serviceVirtualHost("auth-service", "shop", 8080, [
          { name: "tranquil-u1-e7.enrolled", cluster: AUTH_V2 },
          { name: "tranquil-u1-e7.rest", cluster: AUTH_V1 },
        ]),
      ]),
    ]);
    expect(routeEpochs(configs, "u1", ["auth-service"])).toEqual({ status: "confirmed", epoch: 7 });
  });

  it("is unconfirmed when a configuration holds a host but has no sentinel route", () => {
    const configs = parse([
      dynamicRouteConfig("8080", [
        serviceVirtualHost("auth-service", "shop", 8080, [{ name: "tranquil-u1-e5", cluster: AUTH_V1 }]),
      ]),
      dynamicRouteConfig("http.80", [wildcardVirtualHost(80, [{ cluster: AUTH_V1 }])]),
    ]);
    expect(routeEpochs(configs, "u1", ["auth-service"])).toEqual({
      status: "unconfirmed",
      routeConfigs: ["http.80"],
    });
  });

  it("is unconfirmed when one of the upgrade's hosts has no sentinel in a shared configuration", () => {
    // Same route configuration, two hosts of the train: orders' VirtualService is not applied yet.
    const configs = parse([
      dynamicRouteConfig("8080", [
        serviceVirtualHost("auth-service", "shop", 8080, [{ name: "tranquil-u1-e1", cluster: AUTH_V1 }]),
        serviceVirtualHost("orders", "shop", 8080, [{ name: "default", cluster: ORDERS_V1 }]),
      ]),
    ]);
    expect(routeEpochs(configs, "u1", ["auth-service", "orders"]).status).toBe("unconfirmed");
    expect(routeEpochs(configs, "u1", ["auth-service"])).toEqual({ status: "confirmed", epoch: 1 });
  });

  it("does not count another upgrade's sentinels", () => {
    const configs = parse([
      dynamicRouteConfig("8080", [
        serviceVirtualHost("auth-service", "shop", 8080, [
          { name: "tranquil-u10-e9", cluster: AUTH_V2 },
          { name: "tranquil-u1-e9x", cluster: AUTH_V1 },
        ]),
      ]),
    ]);
    expect(routeEpochs(configs, "u1", ["auth-service"]).status).toBe("unconfirmed");
    expect(routeEpochs(configs, "u10", ["auth-service"])).toEqual({ status: "confirmed", epoch: 9 });
  });

  it("is absent when nothing holds a host of the upgrade", () => {
    const configs = parse([dynamicRouteConfig("8080", [ALLOW_ANY])]);
    expect(routeEpochs(configs, "u1", ["auth-service"])).toEqual({ status: "absent" });
    expect(routeEpochs([], "u1", ["auth-service"])).toEqual({ status: "absent" });
    expect(routeEpochs(configs, "u1", [])).toEqual({ status: "absent" });
  });

  it("counts a virtual host of no train host that carries the upgrade's sentinel (gateway stamps, ADR 0090)", () => {
    const API = "outbound|8080||logistics-api.shop.svc.cluster.local";
    const stamped = parse([
      dynamicRouteConfig("http.80", [
        serviceVirtualHost("logistics-api", "shop", 80, [
          { name: "tranquil-u1-e6", cluster: API },
          { name: "tranquil-u1-stamp-0", cluster: API },
          { name: "entry", cluster: API },
        ]),
      ]),
    ]);
    expect(routeEpochs(stamped, "u1", ["auth-service"])).toEqual({ status: "confirmed", epoch: 6 });
    // Another upgrade's sentinel does not make it hold u1; without any, the gateway has nothing.
    expect(routeEpochs(stamped, "u2", ["auth-service"])).toEqual({ status: "absent" });
    const plain = parse([
      dynamicRouteConfig("http.80", [
        serviceVirtualHost("logistics-api", "shop", 80, [{ name: "entry", cluster: API }]),
      ]),
    ]);
    expect(routeEpochs(plain, "u1", ["auth-service"])).toEqual({ status: "absent" });
  });

  it("is not fooled by sentinels inside a ScopedRoutesConfigDump of a full dump", () => {
    const full = {
      configs: [
        {
          "@type": "type.googleapis.com/envoy.admin.v3.ScopedRoutesConfigDump",
          dynamic_route_configs: [
            dynamicRouteConfig("8080", [
              serviceVirtualHost("auth-service", "shop", 8080, [
                { name: "tranquil-u1-e1", cluster: AUTH_V1 },
              ]),
            ]),
          ],
        },
        {
          "@type": "type.googleapis.com/envoy.admin.v3.RoutesConfigDump",
          dynamic_route_configs: [
            dynamicRouteConfig("8080", [
              serviceVirtualHost("auth-service", "shop", 8080, [
                { name: "tranquil-u1-e3", cluster: AUTH_V1 },
              ]),
            ]),
          ],
        },
      ],
    };
    expect(routeEpochs(parseRouteConfigs(JSON.stringify(full)), "u1", ["auth-service"])).toEqual({
      status: "confirmed",
      epoch: 3,
    });
  });

  it("skips static route configurations unless asked", () => {
    const full = {
      configs: [
        {
          "@type": "type.googleapis.com/envoy.admin.v3.RoutesConfigDump",
          static_route_configs: [
            {
              route_config: {
                name: "inline",
                virtual_hosts: [serviceVirtualHost("auth-service", "shop", 8080, [])],
              },
            },
          ],
          dynamic_route_configs: [
            dynamicRouteConfig("8080", [
              serviceVirtualHost("auth-service", "shop", 8080, [
                { name: "tranquil-u1-e2", cluster: AUTH_V1 },
              ]),
            ]),
          ],
        },
      ],
    };
    const configs = parseRouteConfigs(JSON.stringify(full));
    expect(routeEpochs(configs, "u1", ["auth-service"])).toEqual({ status: "confirmed", epoch: 2 });
    expect(routeEpochs(configs, "u1", ["auth-service"], { includeStatic: true })).toEqual({
      status: "unconfirmed",
      routeConfigs: ["inline"],
    });
  });

  it("on the real 2019 sidecar: reviews is held by two configurations, none confirmed", () => {
    const configs = parseRouteConfigs(sample("istio-1.3.0-rc.2_sidecar_productpage-v1_config_dump.json"));
    expect(routeEpochs(configs, "u1", ["reviews"])).toEqual({
      status: "unconfirmed",
      routeConfigs: ["reviews.default.svc.cluster.local:9080", "9080"],
    });
    expect(routeEpochs(configs, "u1", ["httpbin"])).toEqual({ status: "absent" });
  });

  it("on the real 2019 sidecar with sentinel names written in: the minimum epoch", () => {
    const doc = JSON.parse(sample("istio-1.3.0-rc.2_sidecar_productpage-v1_config_dump.json")) as {
      configs: { "@type": string; dynamic_route_configs?: RealConfig[] }[];
    };
    const routes = doc.configs.find(
      (c) => c["@type"] === "type.googleapis.com/envoy.admin.v2alpha.RoutesConfigDump",
    );
    let epoch = 6;
    for (const rc of routes?.dynamic_route_configs ?? []) {
      for (const vh of rc.route_config.virtual_hosts) {
        if (vh.name.startsWith("reviews.")) for (const r of vh.routes) r.name = `tranquil-u1-e${epoch--}.m`;
      }
    }
    expect(routeEpochs(parseRouteConfigs(JSON.stringify(doc)), "u1", ["reviews"])).toEqual({
      status: "confirmed",
      epoch: 5,
    });
  });

  it("on the real 2019 ingress gateway: productpage held through its v1 subset, unnamed routes", () => {
    const configs = parseRouteConfigs(sample("istio-1.3.0_ingressgateway_config_dump.json"));
    expect(routeEpochs(configs, "u1", ["productpage"])).toEqual({
      status: "unconfirmed",
      routeConfigs: ["http.80"],
    });
  });

  it("on the real Gateway API dump: the generated route name is not a sentinel", () => {
    const configs = parseRouteConfigs(sample("istio_k8s-gateway-api_routes-only_config_dump.json"));
    expect(routeEpochs(configs, "u1", ["httpbin"]).status).toBe("unconfirmed");
  });
});

describe("reportedEpoch", () => {
  it("maps results onto PodReport.epochs values", () => {
    expect(reportedEpoch({ status: "confirmed", epoch: 3 })).toBe(3);
    expect(reportedEpoch({ status: "unconfirmed", routeConfigs: ["8080"] })).toBeNull();
    expect(reportedEpoch({ status: "absent" })).toBeUndefined();
  });
});

interface RealConfig {
  route_config: { virtual_hosts: { name: string; routes: { name?: string }[] }[] };
}
