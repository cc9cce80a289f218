/**
 * The local proxies' Envoy router: virtual host selection, route matching, weighted clusters and
 * header operations as Envoy evaluates them, on hand-written route configurations and on the
 * route configurations istiod generated in the captured config dumps (../shared/envoy-samples).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { applyHeaderOps } from "./header-ops.js";
import type { EnvoyRoute, EnvoyRouteConfiguration, EnvoyRouteMatch } from "./route-config-types.js";
import { pickWeightedCluster, selectRoute, type EnvoyRoutedRequest } from "./route-select.js";
import { findVirtualHost } from "./virtual-host.js";

const samples = path.resolve(import.meta.dirname, "../../../../shared/envoy-samples/config_dump");

/** The dynamic route configurations of a captured config dump. */
function capturedRoutes(file: string): EnvoyRouteConfiguration[] {
  const dump = JSON.parse(readFileSync(path.join(samples, file), "utf8")) as {
    configs: { "@type": string; dynamic_route_configs?: { route_config: EnvoyRouteConfiguration }[] }[];
  };
  return dump.configs
    .filter((c) => c["@type"].endsWith("RoutesConfigDump"))
    .flatMap((c) => (c.dynamic_route_configs ?? []).map((d) => d.route_config));
}

const get = (authority: string, p: string, headers: Record<string, string> = {}): EnvoyRoutedRequest => ({
  authority,
  path: p,
  headers,
});

describe("virtual host selection", () => {
  const config: EnvoyRouteConfiguration = {
    virtual_hosts: [
      { name: "exact", domains: ["www.foo.com"] },
      { name: "suffix-short", domains: ["*.com"] },
      { name: "suffix-long", domains: ["*.foo.com"] },
      { name: "prefix", domains: ["foo.*"] },
      { name: "any", domains: ["*"] },
      { name: "with-port", domains: ["api:8080"] },
    ],
  };
  const vh = (host: string, c = config) => findVirtualHost(c, host)?.name;

  it("prefers exact, then the longest suffix wildcard, then prefix, then *", () => {
    expect(vh("WWW.foo.com")).toBe("exact");
    expect(vh("a.foo.com")).toBe("suffix-long");
    expect(vh("a.bar.com")).toBe("suffix-short");
    expect(vh("foo.local")).toBe("prefix");
    expect(vh("elsewhere")).toBe("any");
  });

  it("needs a wildcard to cover at least one character, and matches ports literally unless told to ignore them", () => {
    expect(vh(".foo.com")).toBe("suffix-short");
    expect(vh("api:8080")).toBe("with-port");
    expect(vh("api")).toBe("any");
    expect(vh("www.foo.com:80")).toBe("any");
    expect(vh("www.foo.com:80", { ...config, ignore_port_in_host_matching: true })).toBe("exact");
    expect(findVirtualHost({ virtual_hosts: [{ name: "only", domains: ["a"] }] }, "b")).toBeUndefined();
  });
});

describe("route matching", () => {
  const route = (name: string, match: EnvoyRouteMatch): EnvoyRoute => ({
    name,
    match,
    route: { cluster: name },
  });
  const config: EnvoyRouteConfiguration = {
    virtual_hosts: [
      {
        name: "svc",
        domains: ["*"],
        routes: [
          route("exact-path", { path: "/login" }),
          route("regex", { safe_regex: { regex: "/orders/[0-9]+" } }),
          route("separated", { path_separated_prefix: "/api" }),
          route("header-canary", {
            prefix: "/",
            headers: [{ name: "x-canary", string_match: { exact: "yes" } }],
          }),
          route("header-absent", { prefix: "/absent", headers: [{ name: "x-user", present_match: false }] }),
          route("header-inverted", {
            prefix: "/inverted",
            headers: [{ name: "x-user", string_match: { exact: "bob" }, invert_match: true }],
          }),
          route("range", {
            prefix: "/range",
            headers: [{ name: "x-n", range_match: { start: "10", end: "20" } }],
          }),
          route("query", { prefix: "/q", query_parameters: [{ name: "v", string_match: { exact: "a b" } }] }),
          route("grpc", { prefix: "/pkg.Svc/", grpc: {} }),
          route("folded", { prefix: "/CaSe", case_sensitive: false }),
          route("half", {
            prefix: "/half",
            runtime_fraction: { default_value: { numerator: 50, denominator: "HUNDRED" }, runtime_key: "k" },
          }),
          route("default", { prefix: "/" }),
        ],
      },
    ],
  };
  const to = (p: string, headers: Record<string, string> = {}, random = 0): string | undefined => {
    const d = selectRoute(config, get("svc", p, headers), random);
    return d.kind === "forward" ? d.route : d.kind;
  };

  it("compares path and regex without the query string, prefix with it, regex in full", () => {
    expect(to("/login?next=/")).toBe("exact-path");
    expect(to("/login/")).toBe("default");
    expect(to("/orders/12?x=1")).toBe("regex");
    expect(to("/orders/12a")).toBe("default");
    expect(to("/api")).toBe("separated");
    expect(to("/api/v1")).toBe("separated");
    expect(to("/apix")).toBe("default");
    expect(to("/q?v=a%20b")).toBe("query");
    expect(to("/q?v=a+b")).toBe("default");
    expect(to("/case/x")).toBe("folded");
  });

  it("matches headers as Envoy does: missing headers match only absence, inverted matchers need the header", () => {
    expect(to("/x", { "x-canary": "yes" })).toBe("header-canary");
    expect(to("/absent")).toBe("header-absent");
    expect(to("/absent", { "x-user": "a" })).toBe("default");
    expect(to("/inverted", { "x-user": "alice" })).toBe("header-inverted");
    expect(to("/inverted", { "x-user": "bob" })).toBe("default");
    expect(to("/inverted")).toBe("default");
    expect(to("/range", { "x-n": "15" })).toBe("range");
    expect(to("/range", { "x-n": "20" })).toBe("default");
    expect(to("/range", { "x-n": "1.5" })).toBe("default");
  });

  it("joins a repeated header's values with commas before matching", () => {
    const d = selectRoute(
      config,
      { authority: "svc", path: "/x", headers: { "x-canary": ["yes", "no"] } },
      0,
    );
    expect(d.kind === "forward" && d.route).toBe("default");
  });

  it("needs application/grpc for a grpc match, and draws the runtime fraction from the request's random value", () => {
    expect(to("/pkg.Svc/Call", { "content-type": "application/grpc" })).toBe("grpc");
    expect(to("/pkg.Svc/Call", { "content-type": "application/json" })).toBe("default");
    expect(to("/half", {}, 49)).toBe("half");
    expect(to("/half", {}, 150)).toBe("default");
  });
});

describe("route actions", () => {
  it("picks weighted clusters by random % total and the first cumulative weight above it", () => {
    const clusters = [
      { name: "v1", weight: 90 },
      { name: "v2", weight: 10 },
      { name: "none", weight: 0 },
    ];
    const counts = new Map<string, number>();
    for (let r = 0; r < 1000; r++) {
      const c = pickWeightedCluster(clusters, undefined, r)?.name ?? "?";
      counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual({ v1: 900, v2: 100 });
    expect(pickWeightedCluster(clusters, undefined, 90)?.name).toBe("v2");
  });

  it("orders header operations from the weighted cluster to the route configuration: the least specific wins on overwrite", () => {
    const set = (key: string, value: string) => ({
      header: { key, value },
      append_action: "OVERWRITE_IF_EXISTS_OR_ADD" as const,
    });
    const config: EnvoyRouteConfiguration = {
      response_headers_to_add: [set("x-level", "config")],
      virtual_hosts: [
        {
          name: "svc",
          domains: ["*"],
          response_headers_to_add: [set("x-level", "vhost")],
          routes: [
            {
              match: { prefix: "/" },
              request_headers_to_remove: ["x-drop"],
              request_headers_to_add: [{ header: { key: "x-added", value: "1" } }],
              response_headers_to_add: [set("x-level", "route")],
              route: {
                weighted_clusters: {
                  clusters: [{ name: "v1", weight: 100, response_headers_to_add: [set("x-version", "v1")] }],
                },
                timeout: "0s",
              },
            },
          ],
        },
      ],
    };
    const d = selectRoute(config, get("svc", "/"), 7);
    if (d.kind !== "forward") throw new Error(`expected a forward, got ${d.kind}`);
    expect(d.cluster).toBe("v1");
    expect(d.timeoutMs).toBe(0);
    expect(applyHeaderOps({}, d.responseHeaderOps)).toEqual({ "x-version": "v1", "x-level": "config" });
    expect(applyHeaderOps({ "x-drop": "a", "x-added": "0" }, d.requestHeaderOps)).toEqual({
      "x-added": ["0", "1"],
    });
    const specific = selectRoute(
      { ...config, most_specific_header_mutations_wins: true },
      get("svc", "/"),
      7,
    );
    expect(specific.kind === "forward" && applyHeaderOps({}, specific.responseHeaderOps)["x-level"]).toBe(
      "route",
    );
  });

  it("answers direct responses and redirects, and 404 NR when nothing matches", () => {
    const config: EnvoyRouteConfiguration = {
      virtual_hosts: [
        {
          name: "svc",
          domains: ["svc"],
          routes: [
            {
              match: { path: "/teapot" },
              direct_response: { status: 418, body: { inline_string: "short and stout" } },
            },
            { match: { prefix: "/old/" }, redirect: { prefix_rewrite: "/new/", response_code: "FOUND" } },
          ],
        },
      ],
    };
    expect(selectRoute(config, get("svc", "/teapot"), 0)).toMatchObject({
      kind: "direct-response",
      status: 418,
      body: "short and stout",
    });
    expect(selectRoute(config, get("svc", "/old/a?b=1"), 0)).toMatchObject({
      kind: "redirect",
      status: 302,
      location: "http://svc/new/a?b=1",
    });
    expect(selectRoute(config, get("svc", "/else"), 0)).toEqual({
      kind: "no-route",
      status: 404,
      flag: "NR",
      virtualHost: "svc",
    });
    expect(selectRoute(config, get("other", "/teapot"), 0)).toEqual({
      kind: "no-route",
      status: 404,
      flag: "NR",
    });
  });
});

describe("istiod's route configurations from the captured config dumps", () => {
  it("routes a sidecar's outbound 9080 requests by the Kubernetes short, namespaced and full names, the rest to PassthroughCluster", () => {
    const r9080 = capturedRoutes("istio-1.3.0-rc.2_sidecar_productpage-v1_config_dump.json").find(
      (r) => r.name === "9080",
    );
    if (r9080 === undefined) throw new Error("no route configuration 9080 in the sample");
    const cluster = (authority: string) => {
      const d = selectRoute(r9080, get(authority, "/reviews/0"), 0);
      return d.kind === "forward" ? d.cluster : d.kind;
    };
    expect(cluster("reviews:9080")).toBe("outbound|9080||reviews.default.svc.cluster.local");
    expect(cluster("reviews")).toBe("outbound|9080||reviews.default.svc.cluster.local");
    expect(cluster("reviews.default.svc.cluster.local:9080")).toBe(
      "outbound|9080||reviews.default.svc.cluster.local",
    );
    expect(cluster("ratings.default.svc.cluster")).toBe("outbound|9080||ratings.default.svc.cluster.local");
    expect(cluster("example.org")).toBe("PassthroughCluster");
    const d = selectRoute(r9080, get("reviews", "/"), 0);
    expect(d.kind === "forward" && d.retryPolicy?.num_retries).toBe(2);
  });

  it("routes a gateway's requests by the Gateway API's path-separated prefix, and 404s the rest", () => {
    const configs = capturedRoutes("istio_k8s-gateway-api_routes-only_config_dump.json");
    const withVhosts = configs.find((c) =>
      (c.virtual_hosts ?? []).some((v) => v.routes?.some((r) => r.match.path_separated_prefix !== undefined)),
    );
    if (withVhosts === undefined) throw new Error("no Gateway API route configuration in the sample");
    const vh = withVhosts.virtual_hosts?.find((v) =>
      v.routes?.some((r) => r.match.path_separated_prefix !== undefined),
    );
    const domain = vh?.domains[0] ?? "";
    const d = selectRoute(withVhosts, get(domain, "/get/anything"), 0);
    expect(d.kind).toBe("forward");
    expect(selectRoute(withVhosts, get(domain, "/getter"), 0).kind).not.toBe("forward");
  });
});
