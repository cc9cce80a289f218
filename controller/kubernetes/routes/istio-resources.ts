/**
 * The two Istio resources the route table reads and writes, `networking.istio.io/v1`
 * VirtualServices and DestinationRules, as the API server names them in paths and errors.
 */

/** A routing kind the route table handles. */
export type RouteKind = "VirtualService" | "DestinationRule";

/** Where one kind lives on the API server. */
export interface RouteResourceApi {
  readonly kind: RouteKind;
  readonly group: "networking.istio.io";
  readonly version: "v1";
  readonly plural: "virtualservices" | "destinationrules";
}

/** The API of each routing kind. */
export const ROUTE_RESOURCES: Readonly<Record<RouteKind, RouteResourceApi>> = {
  VirtualService: {
    kind: "VirtualService",
    group: "networking.istio.io",
    version: "v1",
    plural: "virtualservices",
  },
  DestinationRule: {
    kind: "DestinationRule",
    group: "networking.istio.io",
    version: "v1",
    plural: "destinationrules",
  },
};

/** `virtualservices.networking.istio.io`, as RBAC and error messages name it. */
export function resourceName(api: RouteResourceApi): string {
  return `${api.plural}.${api.group}`;
}

/** The list and watch path of a kind, in one namespace or all. */
export function collectionPath(api: RouteResourceApi, namespace?: string): string {
  return namespace === undefined
    ? `/apis/${api.group}/${api.version}/${api.plural}`
    : `/apis/${api.group}/${api.version}/namespaces/${namespace}/${api.plural}`;
}
