import { isCatchAllMatch, matchAppliesToProxy, type ProxyContext } from "./match.js";
import type { HTTPMatchRequest, HTTPRoute, VirtualService } from "../api/types.js";

/** One Envoy route: an HTTP route of a VirtualService with one of its match blocks. */
export interface RouteEntry {
  readonly vs: VirtualService;
  /** Index of the HTTP route in `spec.http`. */
  readonly routeIndex: number;
  readonly route: HTTPRoute;
  /** The match block; undefined for a route without `match` (matches everything). */
  readonly match?: HTTPMatchRequest;
  /** Index of the match block in `route.match`, when there is one. */
  readonly matchIndex?: number;
  /** Envoy route name: `name`, or `name.matchName` when the block is named. */
  readonly name: string;
}

/** Envoy route name Istio gives a route and match block (pilot route.go translateRoute). */
export function envoyRouteName(route: HTTPRoute, match: HTTPMatchRequest | undefined): string {
  const routeName = route.name ?? "";
  return match?.name !== undefined && match.name !== "" ? `${routeName}.${match.name}` : routeName;
}

/**
 * The routes a proxy gets from one VirtualService, in order, as Istio builds them
 * (BuildHTTPRoutesForVirtualService): one entry per match block that applies to the proxy
 * (port, gateways, sourceLabels), and nothing after the first catch-all, because Envoy
 * could never reach it.
 */
export function routeEntriesFor(vs: VirtualService, proxy: ProxyContext): RouteEntry[] {
  const out: RouteEntry[] = [];
  const ns = vs.metadata.namespace;
  const http = vs.spec.http ?? [];
  for (const [routeIndex, route] of http.entries()) {
    const matches = route.match ?? [];
    if (matches.length === 0) {
      out.push({ vs, routeIndex, route, name: envoyRouteName(route, undefined) });
      return out;
    }
    for (const [matchIndex, match] of matches.entries()) {
      if (!matchAppliesToProxy(match, proxy, ns)) continue;
      out.push({ vs, routeIndex, route, match, matchIndex, name: envoyRouteName(route, match) });
      if (isCatchAllMatch(match)) return out;
    }
  }
  return out;
}
