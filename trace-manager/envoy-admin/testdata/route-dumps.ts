/**
 * Builders for Istio-shaped route dumps, test-only. Shapes follow `envoy-samples/SHAPES.md`:
 * vhost `<fqdn>:<port>` with Istio's domain list, route configuration `<port>` on sidecars and
 * `http.<port>` on gateways, `@type` of each filtered element
 * `type.googleapis.com/envoy.admin.v3.RoutesConfigDump.DynamicRouteConfig`.
 */

/** One route: its name (left out when undefined, as Envoy does for empty names) and its target. */
export interface RouteSpec {
  readonly name?: string;
  readonly cluster?: string;
  readonly weighted?: readonly string[];
}

/** A route JSON object in Envoy's field order (`name` is field 14, so it comes last). */
export function route(spec: RouteSpec): Record<string, unknown> {
  const action =
    spec.weighted !== undefined
      ? {
          weighted_clusters: { clusters: spec.weighted.map((name) => ({ name, weight: 50 })) },
          timeout: "0s",
        }
      : { cluster: spec.cluster ?? "PassthroughCluster", timeout: "0s" };
  return {
    match: { prefix: "/" },
    route: action,
    decorator: { operation: "x" },
    ...(spec.name !== undefined ? { name: spec.name } : {}),
  };
}

/** Istio's sidecar virtual host for `<short>.<ns>.svc.cluster.local:<port>`. */
export function serviceVirtualHost(
  short: string,
  ns: string,
  port: number,
  routes: readonly RouteSpec[],
): Record<string, unknown> {
  const fqdn = `${short}.${ns}.svc.cluster.local`;
  const names = [fqdn, short, `${short}.${ns}.svc.cluster`, `${short}.${ns}.svc`, `${short}.${ns}`];
  return {
    name: `${fqdn}:${port}`,
    domains: names.flatMap((n) => [n, `${n}:${port}`]),
    routes: routes.map(route),
    include_request_attempt_count: true,
  };
}

/** A catch-all vhost as gateways use (`*`, `*:80`). */
export function wildcardVirtualHost(port: number, routes: readonly RouteSpec[]): Record<string, unknown> {
  return { name: `*:${port}`, domains: ["*", `*:${port}`], routes: routes.map(route) };
}

/** Istio's passthrough vhost present in every sidecar outbound route configuration. */
export const ALLOW_ANY = {
  name: "allow_any",
  domains: ["*"],
  routes: [{ match: { prefix: "/" }, route: { cluster: "PassthroughCluster" }, name: "allow_any" }],
};

/** One `DynamicRouteConfig` (without `@type`). */
export function dynamicRouteConfig(name: string, virtualHosts: readonly unknown[]): Record<string, unknown> {
  return {
    version_info: "2026-11-22T02:00:00Z/7",
    route_config: {
      "@type": "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
      name,
      virtual_hosts: virtualHosts,
      validate_clusters: false,
    },
    last_updated: "2026-11-22T02:00:01.000Z",
  };
}

/** The body of `/config_dump?resource=dynamic_route_configs`. */
export function filteredDump(configs: readonly Record<string, unknown>[], adminVersion = "v3"): string {
  return JSON.stringify(
    {
      configs: configs.map((c) => ({
        "@type": `type.googleapis.com/envoy.admin.${adminVersion}.RoutesConfigDump.DynamicRouteConfig`,
        ...c,
      })),
    },
    null,
    1,
  );
}
