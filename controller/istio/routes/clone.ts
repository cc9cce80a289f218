/**
 * Clone routes: deep copies of a user route with only the train hosts' destination subsets
 * changed and, for enrolled clones and pins, one header condition ANDed into every match block.
 */
import type { HTTPRoute, StringMatch } from "../../../istio/api/types.js";

/** Decides whether a destination host (as written in a VirtualService) is a train service, and which. */
export type TrainHostLookup = (host: string) => string | undefined;

/** How to make a clone. */
export interface CloneOptions {
  readonly name: string;
  /** The subset each train service's destinations get, by service name. */
  readonly subsetFor: (service: string) => string;
  readonly lookup: TrainHostLookup;
  /** Header conditions ANDed into every match block (a route without blocks gets one). */
  readonly requireHeaders?: Readonly<Record<string, StringMatch>>;
}

/** True when some destination of `route` is a train service. */
export function targetsTrain(route: HTTPRoute, lookup: TrainHostLookup): boolean {
  return (route.route ?? []).some((d) => lookup(d.destination.host) !== undefined);
}

/** A deep copy of `route` as a clone. The original is not modified. */
export function cloneRoute(route: HTTPRoute, options: CloneOptions): HTTPRoute {
  const { name: _userName, ...rest } = structuredClone(route);
  const copy: HTTPRoute = { name: options.name, ...rest };
  if (copy.route !== undefined) {
    for (const d of copy.route) {
      const service = options.lookup(d.destination.host);
      if (service !== undefined) d.destination.subset = options.subsetFor(service);
    }
  }
  const required = options.requireHeaders;
  if (required !== undefined) {
    const blocks = copy.match !== undefined && copy.match.length > 0 ? copy.match : [{}];
    copy.match = blocks.map((block) => ({
      ...block,
      headers: { ...block.headers, ...structuredClone(required) },
    }));
  }
  return copy;
}
