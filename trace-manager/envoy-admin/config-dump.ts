/**
 * Route configurations out of Envoy's admin `/config_dump` (see `envoy-samples/SHAPES.md` §1–2).
 *
 * Accepted bodies:
 * - a filtered dump, `/config_dump?resource=dynamic_route_configs[&name_regex=…]`: each element of
 *   `RoutesConfigDump.dynamic_route_configs` packed as its own `Any` in `configs[]`, `@type`
 *   `…envoy.admin.v3.RoutesConfigDump.DynamicRouteConfig` (also `…StaticRouteConfig`);
 * - a full dump, `/config_dump`: one `configs[]` entry of `@type` `…envoy.admin.v3.RoutesConfigDump`
 *   holding `static_route_configs` and `dynamic_route_configs`;
 * - the `envoy.admin.v2alpha` variants of both (Envoy ≤ 1.12);
 * - `{}` (Envoy leaves out an empty `configs`).
 *
 * The whole `@type` string is compared: `ScopedRoutesConfigDump` also contains "RoutesConfigDump"
 * and must not be read as one. Field names are snake_case in raw admin output; camelCase
 * (re-serialised dumps) is accepted too.
 */

/** One Envoy route: its name (absent when empty) and every cluster it can send to. */
export interface DumpRoute {
  readonly name?: string;
  /** `route.cluster`, or each `route.weighted_clusters.clusters[].name`. */
  readonly clusters: readonly string[];
}

/** One virtual host of a route configuration. */
export interface DumpVirtualHost {
  readonly name: string;
  readonly domains: readonly string[];
  readonly routes: readonly DumpRoute[];
}

/** One route configuration (RDS resource or static). */
export interface DumpRouteConfig {
  /** `RouteConfiguration.name`, e.g. `9080`, `http.80`; empty for unnamed static configs. */
  readonly name: string;
  readonly dynamic: boolean;
  /** `version_info` of a dynamic config (Istio: `<timestamp>/<counter>`). */
  readonly versionInfo?: string;
  readonly virtualHosts: readonly DumpVirtualHost[];
}

/** The body is not a config dump. */
export class ConfigDumpParseError extends Error {
  override readonly name = "ConfigDumpParseError";
}

const TYPE_PREFIX = "type.googleapis.com/envoy.admin.";
const ADMIN_VERSIONS = ["v3", "v2alpha"] as const;
const ROUTES_DUMP = new Set(ADMIN_VERSIONS.map((v) => `${TYPE_PREFIX}${v}.RoutesConfigDump`));
const DYNAMIC_ROUTE = new Set(
  ADMIN_VERSIONS.map((v) => `${TYPE_PREFIX}${v}.RoutesConfigDump.DynamicRouteConfig`),
);
const STATIC_ROUTE = new Set(
  ADMIN_VERSIONS.map((v) => `${TYPE_PREFIX}${v}.RoutesConfigDump.StaticRouteConfig`),
);

/** Parses a `/config_dump` body (full, or `?resource=dynamic_route_configs`) into route configurations. */
export function parseRouteConfigs(body: string): DumpRouteConfig[] {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (cause) {
    throw new ConfigDumpParseError("Envoy /config_dump body is not valid JSON", { cause });
  }
  return routeConfigsOf(doc);
}

/** Same as `parseRouteConfigs`, over an already parsed JSON document. */
export function routeConfigsOf(doc: unknown): DumpRouteConfig[] {
  if (!isRecord(doc)) throw new ConfigDumpParseError("Envoy /config_dump body is not a JSON object");
  const configs = doc.configs ?? [];
  if (!Array.isArray(configs)) throw new ConfigDumpParseError("Envoy /config_dump `configs` is not an array");
  const out: DumpRouteConfig[] = [];
  for (const entry of configs) {
    if (!isRecord(entry)) continue;
    const type = entry["@type"];
    if (typeof type !== "string") continue;
    if (ROUTES_DUMP.has(type)) {
      for (const c of arrayField(entry, "static_route_configs")) pushConfig(out, c, false);
      for (const c of arrayField(entry, "dynamic_route_configs")) pushConfig(out, c, true);
    } else if (DYNAMIC_ROUTE.has(type)) {
      pushConfig(out, entry, true);
    } else if (STATIC_ROUTE.has(type)) {
      pushConfig(out, entry, false);
    }
  }
  return out;
}

function pushConfig(out: DumpRouteConfig[], wrapper: unknown, dynamic: boolean): void {
  if (!isRecord(wrapper)) return;
  const rc = field(wrapper, "route_config");
  if (!isRecord(rc)) return;
  const version = field(wrapper, "version_info");
  out.push({
    name: typeof rc.name === "string" ? rc.name : "",
    dynamic,
    ...(typeof version === "string" ? { versionInfo: version } : {}),
    virtualHosts: arrayField(rc, "virtual_hosts").filter(isRecord).map(toVirtualHost),
  });
}

function toVirtualHost(vh: Record<string, unknown>): DumpVirtualHost {
  return {
    name: typeof vh.name === "string" ? vh.name : "",
    domains: arrayField(vh, "domains").filter((d): d is string => typeof d === "string"),
    routes: arrayField(vh, "routes").filter(isRecord).map(toRoute),
  };
}

function toRoute(r: Record<string, unknown>): DumpRoute {
  const clusters: string[] = [];
  const action = r.route;
  if (isRecord(action)) {
    if (typeof action.cluster === "string") clusters.push(action.cluster);
    const weighted = field(action, "weighted_clusters");
    if (isRecord(weighted)) {
      for (const wc of arrayField(weighted, "clusters")) {
        if (isRecord(wc) && typeof wc.name === "string") clusters.push(wc.name);
      }
    }
  }
  return typeof r.name === "string" && r.name !== "" ? { name: r.name, clusters } : { clusters };
}

function field(obj: Record<string, unknown>, snake: string): unknown {
  return obj[snake] ?? obj[snake.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())];
}

function arrayField(obj: Record<string, unknown>, snake: string): unknown[] {
  const v = field(obj, snake);
  return Array.isArray(v) ? v : [];
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}
