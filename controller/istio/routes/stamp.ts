/**
 * Gateway stamps (ADR 0090): a clone of a gateway-bound user route, placed just before it, that
 * applies at the VirtualService's gateways only, sends train hosts to `new` and appends the
 * enrolment header. From the cutover every ingress transaction is meant to be enrolled; the
 * stamp makes that true even for a request whose ext_authz Check failed open, so a flip
 * propagating under a gateway whose TraceManager is down cannot split a transaction (G1).
 */
import type { HTTPMatchRequest, HTTPRoute, VirtualService } from "../../../istio/api/types.js";
import { qualifyGateway } from "../../../istio/routing/match.js";
import { cloneRoute, type TrainHostLookup } from "./clone.js";
import { bindingsOf } from "./reachability.js";

/** What a stamp needs besides the route. */
export interface StampOptions {
  readonly name: string;
  /** The enrolment header (lower case) and the value appended to it: the upgrade's id. */
  readonly header: string;
  readonly value: string;
  /** The subset each train service's destinations get (`new`), by service name. */
  readonly subsetFor: (service: string) => string;
  readonly lookup: TrainHostLookup;
}

/** The VirtualService's gateway bindings (qualified), without `mesh`. */
export function gatewayBindingsOf(vs: VirtualService): string[] {
  return bindingsOf(vs).filter((b) => b !== "mesh");
}

/**
 * The match blocks of `route` restricted to `gateways`: a block naming its own gateways keeps
 * the ones that are gateways (not `mesh`); a block that names none gets them all. A block left
 * with none is dropped. A route without blocks gets one that only names the gateways.
 */
function gatewayBlocks(
  route: HTTPRoute,
  vs: VirtualService,
  gateways: readonly string[],
): HTTPMatchRequest[] {
  const blocks = route.match !== undefined && route.match.length > 0 ? route.match : [{}];
  const out: HTTPMatchRequest[] = [];
  for (const block of blocks) {
    const own = (block.gateways ?? []).map((g) => qualifyGateway(g, vs.metadata.namespace));
    const bound = own.length === 0 ? [...gateways] : own.filter((g) => g !== "mesh" && gateways.includes(g));
    if (bound.length > 0) out.push({ ...structuredClone(block), gateways: bound });
  }
  return out;
}

/**
 * The stamp of user route `route` of `vs`, or undefined when the route cannot be stamped: it
 * forwards nowhere (redirect, direct response, delegate) or none of its blocks applies at a
 * gateway.
 */
export function stampRoute(
  route: HTTPRoute,
  vs: VirtualService,
  options: StampOptions,
): HTTPRoute | undefined {
  if ((route.route ?? []).length === 0) return undefined;
  const gateways = gatewayBindingsOf(vs);
  if (gateways.length === 0) return undefined;
  const blocks = gatewayBlocks(route, vs, gateways);
  if (blocks.length === 0) return undefined;
  const copy = cloneRoute(route, {
    name: options.name,
    subsetFor: options.subsetFor,
    lookup: options.lookup,
  });
  copy.match = blocks;
  const request = copy.headers?.request ?? {};
  copy.headers = {
    ...copy.headers,
    request: { ...request, add: { ...request.add, [options.header]: options.value } },
  };
  return copy;
}
