import http from "node:http";
import type net from "node:net";
import { RE2JS } from "re2js";
import type { MeshSnapshot } from "../control-plane/types.js";
import { resolveShortname } from "../../routing/hosts.js";
import { renderRouteConfigs, type ProxyIdentity } from "./config-dump-render.js";
import { matchesLabels } from "./endpoint-picker.js";
import type { IstioMetrics } from "./istio-metrics.js";
import type { ProxyStats } from "./stats.js";

/** What the admin endpoint of one proxy shows. */
export interface AdminSource {
  readonly identity: ProxyIdentity;
  readonly stats: ProxyStats;
  /** Istio's standard metrics, for `/stats/prometheus` (absent: the endpoint answers empty). */
  readonly istioMetrics?: IstioMetrics;
  /** The ADMIN snapshot (Envoy's main thread: ahead of routing) and when it arrived. */
  adminSnapshot(): { snapshot: MeshSnapshot; receivedAt: number };
  /** Services that exist even without endpoints (short name → ports). */
  readonly servicePorts?: Readonly<Record<string, readonly number[]>>;
  /** Extra static clusters, e.g. the sidecar's `inbound|<port>||` → app. */
  staticClusters(): readonly { name: string; address: string }[];
}

/** A running admin endpoint. */
export interface AdminServer {
  readonly port: number;
  close(): Promise<void>;
}

function envoyJson(doc: unknown): string {
  // Envoy pretty-prints admin JSON with a one-space indent and a trailing newline.
  return JSON.stringify(doc, null, 1) + "\n";
}

/** Partial match, as Envoy's admin `filter` / `name_regex` (RE2, not JavaScript RegExp). */
function partialMatcher(pattern: string | null): ((s: string) => boolean) | undefined {
  if (pattern === null || pattern === "") return undefined;
  const re = RE2JS.compile(pattern);
  return (s) => re.matcher(s).find();
}

function versionInfo(snapshot: MeshSnapshot, receivedAt: number): string {
  return `${new Date(receivedAt).toISOString()}/${snapshot.epoch}`;
}

function timestamp(ms: number): string {
  return new Date(ms).toISOString();
}

/** `/config_dump`: routes only (this proxy has no other xDS resources worth dumping). */
export function configDump(
  src: AdminSource,
  resource: string | null,
  nameRegex: string | null,
): { status: number; body: string } {
  const { snapshot, receivedAt } = src.adminSnapshot();
  const match = partialMatcher(nameRegex);
  const dynamic = renderRouteConfigs(snapshot, src.identity, src.servicePorts)
    .filter((rc) => match === undefined || match(String(rc.name)))
    .map((rc) => ({
      version_info: versionInfo(snapshot, receivedAt),
      route_config: rc,
      last_updated: timestamp(receivedAt),
    }));
  if (resource === null || resource === "") {
    return {
      status: 200,
      body: envoyJson({
        configs: [
          {
            "@type": "type.googleapis.com/envoy.admin.v3.RoutesConfigDump",
            ...(dynamic.length > 0 ? { dynamic_route_configs: dynamic } : {}),
          },
        ],
      }),
    };
  }
  if (resource === "dynamic_route_configs") {
    const configs = dynamic.map((d) => ({
      "@type": "type.googleapis.com/envoy.admin.v3.RoutesConfigDump.DynamicRouteConfig",
      ...d,
    }));
    return { status: 200, body: envoyJson(configs.length > 0 ? { configs } : {}) };
  }
  if (resource === "static_route_configs") return { status: 200, body: envoyJson({}) };
  return { status: 404, body: `${resource} not found in config dump\n` };
}

/** The clusters of a proxy: every subset of every DestinationRule, every service's subset-less cluster, the static ones. */
export function clusterHosts(
  src: AdminSource,
): { name: string; hosts: { address: string; healthy: boolean }[] }[] {
  const { snapshot } = src.adminSnapshot();
  const ns = src.identity.namespace;
  const out: { name: string; hosts: { address: string; healthy: boolean }[] }[] = [];
  const services = new Map<string, number>();
  for (const [name, ports] of Object.entries(src.servicePorts ?? {}))
    if (ports[0] !== undefined) services.set(name, ports[0]);
  for (const e of snapshot.endpoints) services.set(e.service, e.port);
  for (const [service, port] of [...services].sort()) {
    const fqdn = resolveShortname(service, ns);
    const eps = snapshot.endpoints.filter((e) => e.service === service);
    const hosts = (labels: Record<string, string>): { address: string; healthy: boolean }[] =>
      eps
        .filter((e) => matchesLabels({ address: e.address, labels: e.labels, healthy: e.ready }, labels))
        .map((e) => ({ address: e.address, healthy: e.ready }));
    out.push({ name: `outbound|${port}||${fqdn}`, hosts: hosts({}) });
    for (const dr of snapshot.destinationRules) {
      if (resolveShortname(dr.spec.host, dr.metadata.namespace) !== fqdn) continue;
      for (const subset of dr.spec.subsets ?? []) {
        out.push({ name: `outbound|${port}|${subset.name}|${fqdn}`, hosts: hosts(subset.labels ?? {}) });
      }
    }
  }
  for (const s of src.staticClusters())
    out.push({ name: s.name, hosts: [{ address: s.address, healthy: true }] });
  return out;
}

function clustersText(src: AdminSource): string {
  const lines: string[] = [];
  for (const c of clusterHosts(src)) {
    lines.push(`${c.name}::observability_name::${c.name}`);
    lines.push(`${c.name}::default_priority::max_connections::4294967295`);
    lines.push(`${c.name}::added_via_api::true`);
    for (const h of c.hosts) {
      lines.push(`${c.name}::${h.address}::cx_active::0`);
      lines.push(`${c.name}::${h.address}::rq_active::0`);
      lines.push(`${c.name}::${h.address}::health_flags::${h.healthy ? "healthy" : "/failed_eds_health"}`);
      lines.push(`${c.name}::${h.address}::weight::1`);
    }
  }
  return lines.map((l) => l + "\n").join("");
}

function clustersJson(src: AdminSource): string {
  const cluster_statuses = clusterHosts(src).map((c) => ({
    name: c.name,
    added_via_api: true,
    ...(c.hosts.length > 0
      ? {
          host_statuses: c.hosts.map((h) => {
            const [ip, port] = h.address.split(":");
            return {
              address: { socket_address: { address: ip, port_value: Number(port) } },
              health_status: { eds_health_status: h.healthy ? "HEALTHY" : "UNHEALTHY" },
              weight: 1,
            };
          }),
        }
      : {}),
  }));
  return envoyJson({ cluster_statuses });
}

/** Starts an Envoy-shaped admin endpoint (`/config_dump`, `/clusters`, `/stats`, `/stats/prometheus`, `/ready`) on 127.0.0.1. */
export async function startAdminServer(src: AdminSource): Promise<AdminServer> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://admin");
    const json = url.searchParams.get("format") === "json";
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-cache, max-age=0" });
      res.end(body);
    };
    try {
      switch (url.pathname) {
        case "/config_dump": {
          const r = configDump(src, url.searchParams.get("resource"), url.searchParams.get("name_regex"));
          send(r.status, r.status === 200 ? "application/json" : "text/plain", r.body);
          return;
        }
        case "/clusters":
          send(200, json ? "application/json" : "text/plain", json ? clustersJson(src) : clustersText(src));
          return;
        case "/stats": {
          const filter = partialMatcher(url.searchParams.get("filter"));
          send(
            200,
            json ? "application/json" : "text/plain",
            json ? src.stats.renderJson(filter) : src.stats.renderText(filter),
          );
          return;
        }
        case "/stats/prometheus":
          // Envoy serves the Prometheus text format version 0.0.4 here.
          send(200, "text/plain; version=0.0.4", src.istioMetrics?.renderPrometheus() ?? "");
          return;
        case "/ready":
          send(200, "text/plain", "LIVE\n");
          return;
        default:
          send(
            404,
            "text/plain",
            "invalid path. admin commands are: /clusters /config_dump /ready /stats /stats/prometheus\n",
          );
      }
    } catch (err) {
      send(400, "text/plain", `admin ${url.pathname}: ${(err as Error).message}\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
