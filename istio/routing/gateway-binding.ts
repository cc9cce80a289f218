/**
 * How Istio binds a gateway proxy's routes (pilot's gateway merging, simplified to HTTP): a
 * Gateway configures every gateway proxy whose labels its `selector` matches, in any namespace;
 * each of its servers exposes hosts on a port; a VirtualService serves a request there only if
 * it names that Gateway in `gateways` and one server host on the port admits both the request's
 * host and the VirtualService's namespace. Server hosts are `[<namespace>/]<dns name>`: the
 * namespace `*` (or none) admits every namespace, `.` the Gateway's own, and `~` none.
 */
import type { Gateway, VirtualService } from "../api/types.js";
import { hostMatchRank } from "./hosts.js";

/** A gateway proxy as routes are bound to it: its workload labels and its server port. */
export interface GatewayProxy {
  readonly labels: Readonly<Record<string, string>>;
  /** The Gateway server port its listener serves (Envoy's route configuration `http.<port>`). */
  readonly port: number;
}

/** One host entry of a Gateway server, its namespace part resolved. */
export interface ServerHost {
  /** `*` for any namespace, `~` for none, else a namespace name. */
  readonly namespace: string;
  /** DNS name, possibly a wildcard (`*`, `*.example.com`). */
  readonly host: string;
}

/** A Gateway that configures the proxy, with its server hosts on the proxy's port. */
export interface GatewayBinding {
  /** `<namespace>/<name>`, as VirtualServices name it in `gateways`. */
  readonly gateway: string;
  readonly hosts: readonly ServerHost[];
}

/**
 * True when a Gateway's `selector` matches the labels; an empty or missing selector selects
 * nothing (the one reading shared by routing and the controller's inventory).
 */
export function gatewaySelectorMatches(
  selector: Readonly<Record<string, string>> | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

/** True when the Gateway selects a proxy with these labels (see {@link gatewaySelectorMatches}). */
export function selectsGatewayProxy(gateway: Gateway, labels: Readonly<Record<string, string>>): boolean {
  return gatewaySelectorMatches(gateway.spec.selector, labels);
}

/** Splits a server host `[<namespace>/]<dns name>` of a Gateway in `gatewayNamespace`. */
export function serverHost(entry: string, gatewayNamespace: string): ServerHost {
  const slash = entry.indexOf("/");
  if (slash < 0) return { namespace: "*", host: entry.toLowerCase() };
  const ns = entry.slice(0, slash);
  return { namespace: ns === "." ? gatewayNamespace : ns, host: entry.slice(slash + 1).toLowerCase() };
}

function created(g: Gateway): string {
  return `${g.metadata.creationTimestamp ?? ""}/${g.metadata.namespace}/${g.metadata.name}`;
}

/** The Gateways that configure `proxy` on its port, oldest first, with their server hosts there. */
export function gatewayBindings(gateways: readonly Gateway[], proxy: GatewayProxy): GatewayBinding[] {
  return [...gateways]
    .filter((g) => selectsGatewayProxy(g, proxy.labels))
    .sort((a, b) => (created(a) < created(b) ? -1 : created(a) > created(b) ? 1 : 0))
    .map((g) => ({
      gateway: `${g.metadata.namespace}/${g.metadata.name}`,
      hosts: (g.spec.servers ?? [])
        .filter((s) => s.port.number === proxy.port)
        .flatMap((s) => s.hosts.map((h) => serverHost(h, g.metadata.namespace))),
    }))
    .filter((b) => b.hosts.length > 0);
}

/** The binding's server hosts that admit a request for one of `hostNames`. */
export function hostsAdmitting(binding: GatewayBinding, hostNames: readonly string[]): ServerHost[] {
  return binding.hosts.filter((h) => hostNames.some((n) => hostMatchRank(h.host, n) !== undefined));
}

/** Whether one of `hosts` lets a VirtualService of this namespace bind. */
export function admitsNamespace(hosts: readonly ServerHost[], vs: VirtualService): boolean {
  return hosts.some((h) => h.namespace === "*" || h.namespace === vs.metadata.namespace);
}
