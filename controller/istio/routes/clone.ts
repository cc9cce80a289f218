/**
 * Clone routes: deep copies of a user route with only the train hosts' destination subsets
 * changed and, for enrolled clones and pins, one header condition ANDed into every match block.
 */
import type {
  HeaderOperations,
  HTTPRoute,
  HTTPRouteDestination,
  StringMatch,
} from "../../../istio/api/types.js";

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

/**
 * Points a destination at `subset`. Its own header operations that name its previous subset by
 * value (`headers.response.set: {x-version: v1}` on the v1 destination) name the new one, so a
 * header that says which version served a request stays true on Tranquil's routes.
 */
export function retarget(d: HTTPRouteDestination, subset: string): void {
  const previous = d.destination.subset;
  d.destination.subset = subset;
  if (previous === undefined || previous === subset || d.headers === undefined) return;
  const rename = (ops: HeaderOperations | undefined): void => {
    for (const values of [ops?.set, ops?.add]) {
      if (values === undefined) continue;
      for (const [name, value] of Object.entries(values)) if (value === previous) values[name] = subset;
    }
  };
  rename(d.headers.request);
  rename(d.headers.response);
}

/** A deep copy of `route` as a clone. The original is not modified. */
export function cloneRoute(route: HTTPRoute, options: CloneOptions): HTTPRoute {
  const { name: _userName, ...rest } = structuredClone(route);
  const copy: HTTPRoute = { name: options.name, ...rest };
  if (copy.route !== undefined) {
    for (const d of copy.route) {
      const service = options.lookup(d.destination.host);
      if (service !== undefined) retarget(d, options.subsetFor(service));
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
