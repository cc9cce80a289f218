import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigDumpParseError, parseRouteConfigs } from "./config-dump.js";
import { dynamicRouteConfig, filteredDump, serviceVirtualHost } from "./testdata/route-dumps.js";

// CI clones main with shared/ beside it; the samples are real Envoy admin output (SHAPES.md).
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const samples = path.resolve(repoRoot, "../shared/envoy-samples/config_dump");
const sample = (name: string): string => readFileSync(path.join(samples, name), "utf8");

const SIDECAR = "istio-1.3.0-rc.2_sidecar_productpage-v1_config_dump.json";
const INGRESS = "istio-1.3.0_ingressgateway_config_dump.json";
const ISTIO_GW = "istio_istio-gateway_routes-only_config_dump.json";
const K8S_GW = "istio_k8s-gateway-api_routes-only_config_dump.json";

describe("parseRouteConfigs on real dumps", () => {
  it("reads the 2019 sidecar full dump (v2alpha types, ScopedRoutesConfigDump before RoutesConfigDump)", () => {
    const rcs = parseRouteConfigs(sample(SIDECAR));
    expect(rcs.filter((r) => r.dynamic)).toHaveLength(26);
    expect(rcs.filter((r) => !r.dynamic)).toHaveLength(7);
    const rc9080 = rcs.find((r) => r.name === "9080");
    expect(rc9080?.versionInfo).toBe("2019-09-11T13:15:17Z/19");
    const reviews = rc9080?.virtualHosts.find((v) => v.name === "reviews.default.svc.cluster.local:9080");
    expect(reviews?.domains).toContain("reviews:9080");
    expect(reviews?.routes).toEqual([
      { name: "default", clusters: ["outbound|9080||reviews.default.svc.cluster.local"] },
    ]);
    // Istio 1.3's allow_any route has no name: the key is absent, and so is our `name`.
    const allowAny = rc9080?.virtualHosts.find((v) => v.name === "allow_any");
    expect(allowAny?.routes).toEqual([{ clusters: ["PassthroughCluster"] }]);
  });

  it("reads the 2019 ingress gateway: unnamed routes to a subset cluster", () => {
    const rcs = parseRouteConfigs(sample(INGRESS)).filter((r) => r.dynamic);
    expect(rcs.map((r) => r.name)).toEqual(["http.80"]);
    const vh = rcs[0]?.virtualHosts[0];
    expect(vh?.domains).toEqual(["*", "*:80"]);
    expect(vh?.routes).toHaveLength(5);
    expect(vh?.routes.every((r) => r.name === undefined)).toBe(true);
    expect(vh?.routes[0]?.clusters).toEqual(["outbound|9080|v1|productpage.default.svc.cluster.local"]);
  });

  it.each([
    [ISTIO_GW, "http.8080", undefined],
    [K8S_GW, "http.80", "default.http.0"],
  ])("reads the 2023 v3 routes-only dump %s", (file, rcName, routeName) => {
    const rcs = parseRouteConfigs(sample(file));
    const dynamic = rcs.filter((r) => r.dynamic);
    expect(dynamic.map((r) => r.name)).toEqual([rcName]);
    expect(dynamic[0]?.virtualHosts[0]?.routes[0]?.name).toBe(routeName);
    expect(dynamic[0]?.virtualHosts[0]?.routes[0]?.clusters).toEqual([
      "outbound|8000||httpbin.default.svc.cluster.local",
    ]);
    // Static configs have no name and no version.
    expect(rcs.filter((r) => !r.dynamic).every((r) => r.name === "" && r.versionInfo === undefined)).toBe(
      true,
    );
  });

  it("reads the ?resource=dynamic_route_configs form derived from a real dump as Envoy packs it", () => {
    // SHAPES.md §2.4: each DynamicRouteConfig becomes its own Any in configs[].
    const full = JSON.parse(sample(SIDECAR)) as { configs: Record<string, unknown>[] };
    const routes = full.configs.find(
      (c) => c["@type"] === "type.googleapis.com/envoy.admin.v2alpha.RoutesConfigDump",
    ) as { dynamic_route_configs: Record<string, unknown>[] };
    const filtered = filteredDump(routes.dynamic_route_configs, "v2alpha");
    expect(parseRouteConfigs(filtered)).toEqual(parseRouteConfigs(sample(SIDECAR)).filter((r) => r.dynamic));
  });
});

describe("parseRouteConfigs on handcrafted dumps", () => {
  it("ignores ScopedRoutesConfigDump even when it looks like a routes dump", () => {
    const trap = {
      configs: [
        {
          "@type": "type.googleapis.com/envoy.admin.v3.ScopedRoutesConfigDump",
          dynamic_route_configs: [dynamicRouteConfig("trap", [])],
        },
        {
          "@type": "type.googleapis.com/envoy.admin.v3.ScopedRoutesConfigDump.DynamicScopedRouteConfigs",
          route_config: { name: "trap2" },
        },
        {
          "@type": "type.googleapis.com/envoy.admin.v3.RoutesConfigDump",
          dynamic_route_configs: [dynamicRouteConfig("8080", [])],
        },
      ],
    };
    expect(parseRouteConfigs(JSON.stringify(trap)).map((r) => r.name)).toEqual(["8080"]);
  });

  it("reads weighted clusters", () => {
    const body = filteredDump([
      dynamicRouteConfig("8080", [
        serviceVirtualHost("auth-service", "shop", 8080, [
          {
            name: "r",
            weighted: [
              "outbound|8080|v1|auth-service.shop.svc.cluster.local",
              "outbound|8080|v2|auth-service.shop.svc.cluster.local",
            ],
          },
        ]),
      ]),
    ]);
    expect(parseRouteConfigs(body)[0]?.virtualHosts[0]?.routes[0]).toEqual({
      name: "r",
      clusters: [
        "outbound|8080|v1|auth-service.shop.svc.cluster.local",
        "outbound|8080|v2|auth-service.shop.svc.cluster.local",
      ],
    });
  });

  it("accepts camelCase (re-serialised) dumps", () => {
    const body = JSON.stringify({
      configs: [
        {
          "@type": "type.googleapis.com/envoy.admin.v3.RoutesConfigDump.DynamicRouteConfig",
          versionInfo: "v9",
          routeConfig: { name: "80", virtualHosts: [{ name: "a:80", domains: ["a"], routes: [] }] },
        },
      ],
    });
    expect(parseRouteConfigs(body)).toEqual([
      {
        name: "80",
        dynamic: true,
        versionInfo: "v9",
        virtualHosts: [{ name: "a:80", domains: ["a"], routes: [] }],
      },
    ]);
  });

  it("treats {} (no dynamic route configs) as empty and rejects non-dumps", () => {
    expect(parseRouteConfigs("{}\n")).toEqual([]);
    expect(() => parseRouteConfigs("not json")).toThrow(ConfigDumpParseError);
    expect(() => parseRouteConfigs("[]")).toThrow(ConfigDumpParseError);
    expect(() => parseRouteConfigs('{"configs": {}}')).toThrow(ConfigDumpParseError);
  });
});
