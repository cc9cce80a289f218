import { resolveDestination, type ServiceRegistry } from "./destination.js";
import { parseDurationMs } from "./duration.js";
import { rollFault, translateFault } from "./fault.js";
import {
  composeMutations,
  concatMutations,
  emptyMutation,
  mutationFromOperations,
} from "./header-mutation.js";
import {
  admitsNamespace,
  gatewayBindings,
  hostsAdmitting,
  type GatewayBinding,
  type GatewayProxy,
} from "./gateway-binding.js";
import { expandRequestHost, resolveShortname, shortName, splitAuthority } from "./hosts.js";
import { matchContext, requestMatches, type ProxyContext } from "./match.js";
import type {
  ForwardResult,
  HeaderMutation,
  InjectedFault,
  LocalReplyResult,
  RouteRequest,
  RoutingResult,
  RoutingSnapshot,
} from "./result.js";
import { redirectLocation, redirectStatus, rewritePath } from "./rewrite.js";
import { routeEntriesFor, type RouteEntry } from "./route-table.js";
import { selectVirtualServices } from "./select-virtual-services.js";
import { isExportedTo } from "./visibility.js";
import { pickWeighted } from "./weights.js";
import type { VirtualService } from "../api/types.js";

export type {
  ForwardResult,
  HeaderMutation,
  InjectedFault,
  LocalReplyResult,
  RouteRequest,
  RoutingResult,
  RoutingSnapshot,
} from "./result.js";
export { applyHeaderMutation } from "./header-mutation.js";

/** Istio's name for the route of a service that no VirtualService routes (DefaultRouteName). */
export const DEFAULT_ROUTE_NAME = "default";

const DEFAULT_NAMESPACE = "default";

// Snapshots are immutable and shared by every request a proxy routes: build once per snapshot.
const registries = new WeakMap<RoutingSnapshot, ServiceRegistry>();

/**
 * Services known to the proxy: listed ones and those with endpoints, in the snapshot namespace,
 * and the exact hosts of the ServiceEntries visible there.
 */
export function serviceRegistry(snapshot: RoutingSnapshot): ServiceRegistry {
  let registry = registries.get(snapshot);
  if (registry === undefined) {
    registry = buildRegistry(snapshot);
    registries.set(snapshot, registry);
  }
  return registry;
}

function buildRegistry(snapshot: RoutingSnapshot): ServiceRegistry {
  const ns = snapshot.namespace ?? DEFAULT_NAMESPACE;
  const ports = new Map<string, Set<number>>();
  const note = (svc: string, port?: number): void => {
    const fqdn = resolveShortname(svc, ns);
    const set = ports.get(fqdn) ?? new Set<number>();
    if (port !== undefined) set.add(port);
    ports.set(fqdn, set);
  };
  for (const s of snapshot.services ?? []) note(s);
  for (const [svc, list] of Object.entries(snapshot.servicePorts ?? {})) {
    for (const p of list) note(svc, p);
  }
  for (const e of snapshot.endpoints ?? []) note(e.service, e.port);
  for (const se of snapshot.serviceEntries ?? []) {
    if (!isExportedTo(se.metadata, se.spec.exportTo, ns)) continue;
    for (const host of se.spec.hosts.filter((h) => !h.startsWith("*"))) {
      const fqdn = resolveShortname(host, se.metadata.namespace);
      ports.set(fqdn, new Set([...(ports.get(fqdn) ?? []), ...(se.spec.ports ?? []).map((p) => p.number)]));
    }
  }
  return {
    exists: (fqdn) => ports.has(fqdn),
    singlePort: (fqdn) => {
      const set = ports.get(fqdn);
      return set?.size === 1 ? [...set][0] : undefined;
    },
  };
}

function localReply(
  status: number,
  flag: LocalReplyResult["flag"],
  extra: Partial<Omit<LocalReplyResult, "kind" | "status" | "flag">> = {},
): LocalReplyResult {
  return { kind: "local-reply", status, flag, ...extra };
}

// Route tables per snapshot and (host, proxy): what Envoy would hold as a virtual host. The
// number of keys is bounded by the hosts and callers a proxy sees.
const routeTables = new WeakMap<RoutingSnapshot, Map<string, RouteEntry[]>>();

/** The routes a proxy has for the request's host, and the VirtualService order they came in. */
function routesForRequest(
  snapshot: RoutingSnapshot,
  hostNames: readonly string[],
  proxy: ProxyContext,
  proxyNs: string,
  admit?: (vs: VirtualService) => boolean,
): RouteEntry[] {
  let tables = routeTables.get(snapshot);
  if (tables === undefined) {
    tables = new Map();
    routeTables.set(snapshot, tables);
  }
  const labels = Object.entries(proxy.sourceLabels)
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(",");
  const key = [hostNames.join(","), proxy.gateway, proxy.port, proxy.sourceNamespace, proxyNs, labels].join(
    "|",
  );
  let entries = tables.get(key);
  if (entries === undefined) {
    const selected = selectVirtualServices(
      snapshot.virtualServices,
      hostNames,
      proxy.gateway,
      proxyNs,
      admit,
    );
    entries = selected.flatMap((vs) => routeEntriesFor(vs, proxy));
    tables.set(key, entries);
  }
  return entries;
}

/**
 * Routes one request by Istio's semantics: the VirtualServices bound to the request's host
 * and gateway, first matching HTTP route wins, weighted choice among its destinations using
 * `random()` in [0, 1), DestinationRule subsets resolved to endpoint labels. A known service
 * that no VirtualService routes for this proxy gets Istio's `default` route to every
 * instance; an unknown host gets 404 `NR`, as does a request no route of its host matches.
 */
export function evaluate(snapshot: RoutingSnapshot, req: RouteRequest, random: () => number): RoutingResult {
  const proxyNs = snapshot.namespace ?? DEFAULT_NAMESPACE;
  const authority = splitAuthority(req.authority);
  const port = req.port ?? authority.port ?? 80;
  const proxy: ProxyContext = {
    gateway: req.gateway,
    port,
    sourceLabels: req.sourceLabels ?? {},
    sourceNamespace: req.sourceNamespace ?? proxyNs,
  };
  const expanded = expandRequestHost(authority.host, proxyNs);
  const hostNames = expanded === authority.host ? [authority.host] : [authority.host, expanded];
  const registry = serviceRegistry(snapshot);

  const { entries, gateway } =
    req.gatewayProxy === undefined
      ? { entries: routesForRequest(snapshot, hostNames, proxy, proxyNs), gateway: req.gateway }
      : gatewayRoutes(
          snapshot,
          hostNames,
          { ...proxy, port: req.gatewayProxy.port },
          proxyNs,
          req.gatewayProxy,
        );
  if (entries.length === 0) {
    // Gateways only have the routes of their VirtualServices; sidecars also route every known
    // service without a VirtualService by Istio's default route.
    if (gateway !== "mesh" || !registry.exists(expanded)) return localReply(404, "NR");
    return defaultRoute(expanded, port, registry);
  }
  const ctx = matchContext(req);
  const entry = entries.find((e) => e.match === undefined || requestMatches(e.match, ctx));
  if (entry === undefined) return localReply(404, "NR");
  return applyRoute(entry, snapshot, req, { port, host: authority.host }, registry, random);
}

// Gateway bindings per snapshot and gateway proxy, built once: a proxy passes the same
// GatewayProxy with every request, so a request only looks them up.
const bindingTables = new WeakMap<RoutingSnapshot, WeakMap<GatewayProxy, GatewayBinding[]>>();

function bindingsFor(snapshot: RoutingSnapshot, gatewayProxy: GatewayProxy): GatewayBinding[] {
  let tables = bindingTables.get(snapshot);
  if (tables === undefined) {
    tables = new WeakMap();
    bindingTables.set(snapshot, tables);
  }
  let bindings = tables.get(gatewayProxy);
  if (bindings === undefined) {
    bindings = gatewayBindings(snapshot.gateways ?? [], gatewayProxy);
    tables.set(gatewayProxy, bindings);
  }
  return bindings;
}

/**
 * A gateway proxy's routes for the request's host: through the oldest Gateway that selects the
 * proxy and exposes the host on its port, among those whose bound VirtualServices route it.
 * `gateway` is empty when no Gateway exposes the host there (the request then gets 404 `NR`).
 */
function gatewayRoutes(
  snapshot: RoutingSnapshot,
  hostNames: readonly string[],
  proxy: ProxyContext,
  proxyNs: string,
  gatewayProxy: GatewayProxy,
): { entries: RouteEntry[]; gateway: string } {
  for (const binding of bindingsFor(snapshot, gatewayProxy)) {
    const hosts = hostsAdmitting(binding, hostNames);
    if (hosts.length === 0) continue;
    const bound = { ...proxy, gateway: binding.gateway };
    const entries = routesForRequest(snapshot, hostNames, bound, proxyNs, (vs) => admitsNamespace(hosts, vs));
    if (entries.length > 0) return { entries, gateway: binding.gateway };
  }
  return { entries: [], gateway: "" };
}

function defaultRoute(fqdn: string, listenerPort: number, registry: ServiceRegistry): ForwardResult {
  const port = registry.singlePort(fqdn) ?? listenerPort;
  return {
    kind: "forward",
    routeName: DEFAULT_ROUTE_NAME,
    host: shortName(fqdn),
    port,
    cluster: `outbound|${String(port)}||${fqdn}`,
    endpointLabels: {},
    requestHeaders: emptyMutation(),
    responseHeaders: emptyMutation(),
  };
}

function applyRoute(
  entry: RouteEntry,
  snapshot: RoutingSnapshot,
  req: RouteRequest,
  listener: { port: number; host: string },
  registry: ServiceRegistry,
  random: () => number,
): RoutingResult {
  const { route, vs } = entry;
  const routeName = entry.name;
  const reqOps = mutationFromOperations(route.headers?.request);
  const respOps = mutationFromOperations(route.headers?.response);
  // The fault filter runs on the matched route whatever its action, before the router answers
  // a redirect or direct response, and after the weighted cluster is picked.
  const faultOf = (): { fault?: InjectedFault } => {
    const fault = rollFault(translateFault(route.fault), random);
    return fault === undefined ? {} : { fault };
  };

  if (route.redirect !== undefined) {
    const status = redirectStatus(route.redirect);
    if (status === undefined) return localReply(404, "NR", { routeName });
    const location = redirectLocation(route.redirect, { ...listener, path: req.path });
    return localReply(status, "DR", { routeName, location, responseHeaders: respOps.mutation, ...faultOf() });
  }
  if (route.directResponse !== undefined) {
    const body = route.directResponse.body;
    const text =
      body === undefined
        ? undefined
        : "string" in body
          ? body.string
          : Buffer.from(body.bytes, "base64").toString("utf8");
    return localReply(route.directResponse.status, "DR", {
      routeName,
      ...(text === undefined ? {} : { body: text }),
      responseHeaders: respOps.mutation,
      ...faultOf(),
    });
  }

  const destinations = route.route ?? [];
  const chosen = pickWeighted(destinations, random);
  // No destination with weight: Envoy gets no cluster for the route.
  if (chosen === undefined) return localReply(503, "NC", { routeName, ...faultOf() });
  const resolved = resolveDestination(
    chosen.destination,
    vs.metadata.namespace,
    listener.port,
    snapshot.destinationRules,
    registry,
    snapshot.namespace ?? DEFAULT_NAMESPACE,
  );
  if (!resolved.ok) return localReply(503, "NC", { routeName, ...faultOf() });
  const fault = faultOf();

  const destReq = mutationFromOperations(chosen.headers?.request);
  const destResp = mutationFromOperations(chosen.headers?.response);
  // One destination: Istio appends its operations to the route's (same Envoy parser). Several:
  // they sit on the weighted cluster, which Envoy applies before the route's.
  const single = destinations.length === 1;
  const combine = (r: HeaderMutation, d: HeaderMutation): HeaderMutation =>
    single ? concatMutations(r, d) : composeMutations(d, r);

  const timeoutMs = route.timeout === undefined ? undefined : parseDurationMs(route.timeout);
  const path = rewritePath(route.rewrite, entry.match, req.path);
  // A route-level rewrite wins either way: with one destination Istio sets the destination's
  // only when the route has none; with several, the chosen weighted cluster's
  // `host_rewrite_literal` is applied first and the route's after it (Envoy
  // WeightedClusterEntry::finalizeRequestHeaders).
  const authority = route.rewrite?.authority ?? reqOps.authority ?? destReq.authority;
  return {
    kind: "forward",
    routeName,
    vs: `${vs.metadata.namespace}/${vs.metadata.name}`,
    host: resolved.host,
    ...(resolved.subset === undefined ? {} : { subset: resolved.subset }),
    port: resolved.port,
    cluster: resolved.cluster,
    endpointLabels: resolved.endpointLabels,
    requestHeaders: combine(reqOps.mutation, destReq.mutation),
    responseHeaders: combine(respOps.mutation, destResp.mutation),
    ...(route.retries === undefined ? {} : { retries: route.retries }),
    ...(timeoutMs === undefined || timeoutMs <= 0 ? {} : { timeoutMs }),
    ...(path === undefined ? {} : { rewrittenPath: path }),
    ...(authority === undefined ? {} : { rewrittenAuthority: authority }),
    ...fault,
  };
}
