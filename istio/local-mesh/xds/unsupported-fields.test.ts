/** What of a route configuration the local proxies do not act on is reported, field by field, by kind. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { EnvoyRouteConfiguration } from "./route-config-types.js";
import { unsupportedRouteFields } from "./unsupported-fields.js";

const samples = path.resolve(import.meta.dirname, "../../../../shared/envoy-samples/config_dump");

describe("unsupported route fields", () => {
  it("reports nothing for what the router implements", () => {
    const config: EnvoyRouteConfiguration = {
      name: "80",
      ignore_port_in_host_matching: true,
      virtual_hosts: [
        {
          name: "svc",
          domains: ["svc"],
          routes: [
            {
              match: { prefix: "/", headers: [{ name: "x-a", string_match: { exact: "1" } }] },
              route: { weighted_clusters: { clusters: [{ name: "a", weight: 1 }] }, timeout: "0s" },
              response_headers_to_add: [{ header: { key: "x-version", value: "v1" } }],
            },
          ],
        },
      ],
    };
    expect(unsupportedRouteFields(config)).toEqual([]);
  });

  it("classifies what changes routing, what Envoy does that is not modelled, and what is cosmetic", () => {
    const config = {
      virtual_hosts: [
        {
          name: "svc",
          domains: ["*"],
          include_request_attempt_count: true,
          routes: [
            {
              match: { prefix: "/", dynamic_metadata: [{}] },
              route: { cluster_header: "x-cluster", max_grpc_timeout: "0s" },
              metadata: { filter_metadata: {} },
              typed_per_filter_config: { "envoy.filters.http.ext_authz": {} },
              request_headers_to_add: [{ header: { key: "x-peer", value: "%DOWNSTREAM_REMOTE_ADDRESS%" } }],
            },
          ],
        },
      ],
    } as unknown as EnvoyRouteConfiguration;
    expect(unsupportedRouteFields(config)).toEqual([
      { path: "virtual_hosts[0].include_request_attempt_count", kind: "not-reproduced" },
      { path: "virtual_hosts[0].routes[0].match.dynamic_metadata", kind: "unsupported" },
      { path: "virtual_hosts[0].routes[0].route.cluster_header", kind: "unsupported" },
      { path: "virtual_hosts[0].routes[0].route.max_grpc_timeout", kind: "not-reproduced" },
      { path: "virtual_hosts[0].routes[0].metadata", kind: "cosmetic" },
      { path: "virtual_hosts[0].routes[0].typed_per_filter_config", kind: "unsupported" },
      { path: "virtual_hosts[0].routes[0].request_headers_to_add[0].header.value", kind: "unsupported" },
    ]);
  });

  it("finds, in istiod's output of Istio 1.3, the per-route Mixer config the local proxies do not run", () => {
    const dump = JSON.parse(
      readFileSync(path.join(samples, "istio-1.3.0-rc.2_sidecar_productpage-v1_config_dump.json"), "utf8"),
    ) as { configs: { dynamic_route_configs?: { route_config: EnvoyRouteConfiguration }[] }[] };
    const fields = dump.configs
      .flatMap((c) => c.dynamic_route_configs ?? [])
      .flatMap((d) => unsupportedRouteFields(d.route_config));
    const kinds = new Set(
      fields.filter((f) => f.kind === "unsupported").map((f) => f.path.replace(/\[\d+\]/g, "[]")),
    );
    expect(kinds).toEqual(new Set(["virtual_hosts[].routes[].typed_per_filter_config"]));
    expect(
      fields.some((f) => f.path.endsWith("retry_policy.retry_host_predicate") && f.kind === "not-reproduced"),
    ).toBe(true);
  });
});
