/**
 * Parser for Envoy's admin `/clusters` endpoint, in both of its formats.
 *
 * - Text (`GET /clusters`, Envoy docs `operations/admin` "/clusters"; Envoy's
 *   `test/server/admin/clusters_handler_test.cc` pins the layout): cluster-wide lines
 *   `<cluster>::<key>::<value>` or `<cluster>::{default_priority,high_priority,outlier}::<key>::<value>`,
 *   and per host `<cluster>::<address>::<stat>::<value>`, e.g. `…::10.0.0.1:8080::health_flags::healthy`
 *   or `…::health_flags::/failed_active_hc/failed_outlier_check`. IPv6 addresses contain `::`
 *   (`[::1]:80`), so the address is everything between the first and the last two fields.
 * - JSON (`GET /clusters?format=json`, `envoy.admin.v3.Clusters`):
 *   `cluster_statuses[].{name, host_statuses[].{address, health_status}}` where `health_status` is a
 *   `HostHealthStatus` (booleans plus `eds_health_status`).
 */

/** One upstream host of a cluster. */
export interface ClusterHost {
  /** `ip:port`, `[v6]:port`, or a pipe path. */
  readonly address: string;
  readonly healthy: boolean;
  /** Envoy's health flags without the leading `/` (empty when healthy without remarks). */
  readonly flags: readonly string[];
}

/** Cluster name → its hosts. */
export type ParsedClusters = ReadonlyMap<string, readonly ClusterHost[]>;

/** The body did not look like either `/clusters` format. */
export class ClustersParseError extends Error {
  override readonly name = "ClustersParseError";
}

/**
 * Flags that do not make a host unusable: degraded hosts still take traffic. Every other flag
 * (`failed_*`, `pending_active_hc`, `pending_dynamic_removal` — a host EDS already removed —,
 * `excluded_via_immediate_hc_fail`, `active_hc_timeout`, `eds_status_draining`) counts as not healthy.
 */
const NON_FAILING_FLAGS: ReadonlySet<string> = new Set(["degraded_active_hc", "degraded_eds_health"]);

/** Whether a set of Envoy health flags leaves the host serving. */
export function isHealthyFlags(flags: readonly string[]): boolean {
  return flags.every((f) => NON_FAILING_FLAGS.has(f));
}

/** Parses a `/clusters` body (text or `?format=json`) into each cluster's hosts. */
export function parseClusters(body: string): Map<string, ClusterHost[]> {
  const trimmed = body.trimStart();
  return trimmed.startsWith("{") ? parseJsonClusters(trimmed) : parseTextClusters(body);
}

// Second fields of cluster-wide 4-field lines; these are not host addresses.
const CLUSTER_WIDE_GROUPS: ReadonlySet<string> = new Set(["default_priority", "high_priority", "outlier"]);

function parseTextClusters(body: string): Map<string, ClusterHost[]> {
  const out = new Map<string, ClusterHost[]>();
  for (const raw of body.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("version_info::")) continue;
    const parts = line.split("::");
    const cluster = parts[0];
    if (cluster === undefined || cluster === "" || parts.length < 3) continue;
    if (!out.has(cluster)) out.set(cluster, []);
    if (parts.length < 4) continue; // cluster-wide `<cluster>::<key>::<value>`
    const address = parts.slice(1, -2).join("::");
    if (CLUSTER_WIDE_GROUPS.has(address)) continue;
    if (parts[parts.length - 2] !== "health_flags") continue;
    const value = parts[parts.length - 1] ?? "";
    const flags = value === "healthy" ? [] : value.split("/").filter((f) => f !== "");
    out.get(cluster)?.push({ address, healthy: isHealthyFlags(flags), flags });
  }
  return out;
}

function parseJsonClusters(body: string): Map<string, ClusterHost[]> {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (cause) {
    throw new ClustersParseError("Envoy /clusters?format=json body is not valid JSON", { cause });
  }
  if (!isRecord(doc)) throw new ClustersParseError("Envoy /clusters?format=json body is not an object");
  const statuses = doc.cluster_statuses ?? doc.clusterStatuses ?? [];
  if (!Array.isArray(statuses)) {
    throw new ClustersParseError("Envoy /clusters?format=json body has no `cluster_statuses` array");
  }
  const out = new Map<string, ClusterHost[]>();
  for (const status of statuses) {
    if (!isRecord(status) || typeof status.name !== "string") continue;
    const hosts: ClusterHost[] = [];
    const hostStatuses = status.host_statuses ?? status.hostStatuses ?? [];
    if (Array.isArray(hostStatuses)) {
      for (const host of hostStatuses) {
        if (!isRecord(host)) continue;
        const flags = jsonHealthFlags(host.health_status ?? host.healthStatus);
        hosts.push({ address: jsonAddress(host.address), healthy: isHealthyFlags(flags), flags });
      }
    }
    out.set(status.name, hosts);
  }
  return out;
}

// HostHealthStatus booleans (envoy/admin/v3/clusters.proto) mapped to the text format's flag names.
const JSON_FLAG_FIELDS = [
  ["failed_active_health_check", "failed_active_hc"],
  ["failed_outlier_check", "failed_outlier_check"],
  ["failed_active_degraded_check", "degraded_active_hc"],
  ["pending_dynamic_removal", "pending_dynamic_removal"],
  ["pending_active_hc", "pending_active_hc"],
  ["excluded_via_immediate_hc_fail", "excluded_via_immediate_hc_fail"],
  ["active_hc_timeout", "active_hc_timeout"],
] as const;

// eds_health_status (config.core.v3.HealthStatus): UNKNOWN and HEALTHY are healthy in Envoy.
const EDS_FLAGS: Readonly<Record<string, string>> = {
  UNHEALTHY: "failed_eds_health",
  TIMEOUT: "failed_eds_health",
  DRAINING: "eds_status_draining",
  DEGRADED: "degraded_eds_health",
};

function jsonHealthFlags(status: unknown): string[] {
  if (!isRecord(status)) return [];
  const flags: string[] = [];
  for (const [field, flag] of JSON_FLAG_FIELDS) {
    if (status[field] === true || status[camel(field)] === true) flags.push(flag);
  }
  const eds = status.eds_health_status ?? status.edsHealthStatus;
  const edsFlag = typeof eds === "string" ? EDS_FLAGS[eds] : undefined;
  if (edsFlag !== undefined) flags.push(edsFlag);
  return flags;
}

function jsonAddress(address: unknown): string {
  if (!isRecord(address)) return "";
  const socket = address.socket_address ?? address.socketAddress;
  if (isRecord(socket)) {
    const ip = typeof socket.address === "string" ? socket.address : "";
    const port = socket.port_value ?? socket.portValue;
    const host = ip.includes(":") ? `[${ip}]` : ip;
    return typeof port === "number" ? `${host}:${port}` : host;
  }
  const pipe = address.pipe;
  if (isRecord(pipe) && typeof pipe.path === "string") return pipe.path;
  return "";
}

/**
 * Healthy host count per cluster. Only Istio outbound subset clusters are reported by the
 * TraceManager; pass `filter` to choose (default: every cluster).
 */
export function healthyEndpoints(
  parsed: ParsedClusters,
  filter: (cluster: string) => boolean = () => true,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [cluster, hosts] of parsed) {
    if (!filter(cluster)) continue;
    out[cluster] = hosts.filter((h) => h.healthy).length;
  }
  return out;
}

function camel(snake: string): string {
  return snake.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}
