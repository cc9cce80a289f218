/**
 * Which routes of a VirtualService Envoy can reach. Istio stops building routes at the first
 * catch-all, separately for every gateway binding (`mesh` or `<ns>/<gateway>`), so a route
 * after a catch-all for one binding may still be reached through another.
 */
import { isCatchAllMatch, qualifyGateway } from "../../../istio/routing/match.js";
import type { HTTPMatchRequest, HTTPRoute, VirtualService } from "../../../istio/api/types.js";

/** Bindings of a VirtualService: its `gateways`, qualified, or `mesh` when none are listed. */
export function bindingsOf(vs: VirtualService): string[] {
  const ns = vs.metadata.namespace;
  const gateways = vs.spec.gateways ?? [];
  return gateways.length === 0 ? ["mesh"] : gateways.map((g) => qualifyGateway(g, ns));
}

function blockBindings(block: HTTPMatchRequest, vs: VirtualService, all: readonly string[]): string[] {
  const own = block.gateways ?? [];
  return own.length === 0 ? [...all] : own.map((g) => qualifyGateway(g, vs.metadata.namespace));
}

/** A block that matches every request of its bindings, whatever the proxy (no port or source conditions). */
function isUniversalCatchAll(block: HTTPMatchRequest): boolean {
  return (
    isCatchAllMatch(block) &&
    (block.port === undefined || block.port === 0) &&
    Object.keys(block.sourceLabels ?? {}).length === 0 &&
    (block.sourceNamespace === undefined || block.sourceNamespace === "")
  );
}

/**
 * For each route of `routes` (a VirtualService's http list), whether some binding can reach
 * it. A route without match blocks is a catch-all for every binding of the VirtualService.
 */
export function reachableRoutes(vs: VirtualService, routes: readonly HTTPRoute[]): boolean[] {
  const all = bindingsOf(vs);
  const closed = new Set<string>();
  return routes.map((route) => {
    const blocks = route.match ?? [];
    if (blocks.length === 0) {
      const reachable = all.some((b) => !closed.has(b));
      for (const b of all) closed.add(b);
      return reachable;
    }
    let reachable = false;
    const closing: string[] = [];
    for (const block of blocks) {
      const bindings = blockBindings(block, vs, all);
      if (bindings.some((b) => !closed.has(b))) reachable = true;
      if (isUniversalCatchAll(block)) closing.push(...bindings);
    }
    for (const b of closing) closed.add(b);
    return reachable;
  });
}
