import { readFile } from "node:fs/promises";
import { parse } from "yaml";

/** What runs as the application of a service's instances. */
export const AppKinds = ["sample", "echo-grpc", "echo-http"] as const;
/** `sample`: the logistics sample service of that name; `echo-*`: the mesh's tiny test services. */
export type AppKind = (typeof AppKinds)[number];

/** One version of a service and how many instances it starts with. */
export interface VersionSpec {
  readonly name: string;
  readonly instances: number;
  /** A deliberately faulty build (sample apps): a share of its calls fail, or answer slowly. */
  readonly faults?: { readonly errorRate?: number; readonly extraLatencyMs?: number };
}

/** One service of the topology. */
export interface ServiceSpec {
  readonly name: string;
  readonly app: AppKind;
  readonly protocol: "http" | "grpc";
  /** Service port: cluster names `outbound|<port>|…`, `inbound|<port>||`. */
  readonly port: number;
  /** Services this one calls (through its sidecar's outbound listener). */
  readonly upstreams: readonly string[];
  readonly versions: readonly VersionSpec[];
  /** The subset the default VirtualService routes to (default: the first version). */
  readonly defaultVersion: string;
}

/** The ingress gateway. */
export interface GatewaySpec {
  readonly name: string;
  /** The service the gateway's default VirtualService routes to. */
  readonly service: string;
  /** VirtualService hosts for the gateway (default `["*"]`). */
  readonly hosts: readonly string[];
  /** Gateway server port (route configuration `http.<port>`), default 80. */
  readonly port: number;
}

/** A whole local mesh. */
export interface Topology {
  readonly namespace: string;
  readonly gateway: GatewaySpec;
  readonly services: readonly ServiceSpec[];
}

/** The topology is invalid; lists every problem. */
export class TopologyError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid mesh topology ${source}: ${problems.join("; ")}`);
    this.name = "TopologyError";
  }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** Validates a parsed topology document; `source` names it in errors. */
export function parseTopology(doc: unknown, source = "topology"): Topology {
  const problems: string[] = [];
  const root = isRecord(doc) ? doc : {};
  if (!isRecord(doc)) problems.push("the document must be a mapping with `services` and `gateway`");
  const namespace = typeof root.namespace === "string" ? root.namespace : "default";
  if (!DNS_LABEL.test(namespace)) problems.push(`namespace ${JSON.stringify(namespace)} must be a DNS label`);
  const rawServices = Array.isArray(root.services) ? root.services : [];
  if (rawServices.length === 0) problems.push("`services` must list at least one service");
  const services: ServiceSpec[] = rawServices.map((raw: unknown, i: number) => {
    const s = isRecord(raw) ? raw : {};
    const where = `services[${i}]`;
    const name = typeof s.name === "string" ? s.name : "";
    if (!DNS_LABEL.test(name)) problems.push(`${where}.name ${JSON.stringify(s.name)} must be a DNS label`);
    const app = (s.app ?? "sample") as AppKind;
    if (!AppKinds.includes(app)) problems.push(`${where}.app must be one of ${AppKinds.join(", ")}`);
    const protocol = s.protocol ?? (app === "echo-http" ? "http" : "grpc");
    if (protocol !== "http" && protocol !== "grpc") problems.push(`${where}.protocol must be http or grpc`);
    const port = s.port;
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535)
      problems.push(`${where}.port must be a port number`);
    const upstreams = Array.isArray(s.upstreams)
      ? s.upstreams.filter((u): u is string => typeof u === "string")
      : [];
    const versions: VersionSpec[] = (Array.isArray(s.versions) ? s.versions : []).map(
      (v: unknown, j: number) => {
        const vr = isRecord(v) ? v : {};
        const vname = typeof vr.name === "string" ? vr.name : "";
        if (!DNS_LABEL.test(vname)) problems.push(`${where}.versions[${j}].name must be a DNS label`);
        const instances = vr.instances ?? 1;
        if (typeof instances !== "number" || !Number.isInteger(instances) || instances < 0)
          problems.push(`${where}.versions[${j}].instances must be an integer ≥ 0`);
        const faults = isRecord(vr.faults) ? vr.faults : undefined;
        const errorRate = faults?.errorRate;
        const extraLatencyMs = faults?.extraLatencyMs;
        if (errorRate !== undefined && (typeof errorRate !== "number" || errorRate < 0 || errorRate > 1))
          problems.push(`${where}.versions[${j}].faults.errorRate must be a number in 0..1`);
        if (extraLatencyMs !== undefined && (typeof extraLatencyMs !== "number" || extraLatencyMs < 0))
          problems.push(`${where}.versions[${j}].faults.extraLatencyMs must be a number ≥ 0`);
        return {
          name: vname,
          instances: Number(instances),
          ...(faults !== undefined
            ? {
                faults: {
                  ...(typeof errorRate === "number" ? { errorRate } : {}),
                  ...(typeof extraLatencyMs === "number" ? { extraLatencyMs } : {}),
                },
              }
            : {}),
        };
      },
    );
    if (versions.length === 0) problems.push(`${where}.versions must list at least one version`);
    const defaultVersion =
      typeof s.defaultVersion === "string" ? s.defaultVersion : (versions[0]?.name ?? "");
    if (!versions.some((v) => v.name === defaultVersion))
      problems.push(`${where}.defaultVersion ${JSON.stringify(defaultVersion)} is not one of its versions`);
    return {
      name,
      app,
      protocol: protocol as "http" | "grpc",
      port: Number(port),
      upstreams,
      versions,
      defaultVersion,
    };
  });
  const names = new Set(services.map((s) => s.name));
  for (const s of services)
    for (const u of s.upstreams)
      if (!names.has(u))
        problems.push(`service ${s.name}: upstream ${JSON.stringify(u)} is not a service of the topology`);
  const g = isRecord(root.gateway) ? root.gateway : {};
  const gateway: GatewaySpec = {
    name: typeof g.name === "string" ? g.name : "tranquil-gateway",
    service: typeof g.service === "string" ? g.service : "",
    hosts: Array.isArray(g.hosts) ? g.hosts.filter((h): h is string => typeof h === "string") : ["*"],
    port: typeof g.port === "number" ? g.port : 80,
  };
  if (!names.has(gateway.service))
    problems.push(`gateway.service ${JSON.stringify(g.service)} must name a service of the topology`);
  if (problems.length > 0) throw new TopologyError(source, problems);
  return { namespace, gateway, services };
}

/** Reads and validates a topology YAML file. */
export async function loadTopology(path: string): Promise<Topology> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new Error(`cannot read mesh topology ${path}`, { cause });
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (cause) {
    throw new TopologyError(path, [`not valid YAML: ${(cause as Error).message}`]);
  }
  return parseTopology(doc, path);
}
