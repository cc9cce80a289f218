import {
  ISTIO_NETWORKING_V1,
  type DestinationRule,
  type DestinationRuleSpec,
  type Gateway,
  type GatewaySpec,
  type ObjectMeta,
  type ServiceEntry,
  type ServiceEntrySpec,
  type VirtualService,
  type VirtualServiceSpec,
} from "./types.js";

/** Metadata fields a builder caller may add besides name and namespace. */
export type MetaExtras = Partial<Omit<ObjectMeta, "name" | "namespace">>;

/** Builds a `networking.istio.io/v1` VirtualService (namespace defaults to `default`). */
export function virtualService(
  name: string,
  spec: VirtualServiceSpec,
  namespace = "default",
  meta: MetaExtras = {},
): VirtualService {
  return {
    apiVersion: ISTIO_NETWORKING_V1,
    kind: "VirtualService",
    metadata: { name, namespace, ...meta },
    spec,
  };
}

/** Builds a `networking.istio.io/v1` DestinationRule (namespace defaults to `default`). */
export function destinationRule(
  name: string,
  spec: DestinationRuleSpec,
  namespace = "default",
  meta: MetaExtras = {},
): DestinationRule {
  return {
    apiVersion: ISTIO_NETWORKING_V1,
    kind: "DestinationRule",
    metadata: { name, namespace, ...meta },
    spec,
  };
}

/** Builds a `networking.istio.io/v1` Gateway (namespace defaults to `default`). */
export function gateway(
  name: string,
  spec: GatewaySpec,
  namespace = "default",
  meta: MetaExtras = {},
): Gateway {
  return { apiVersion: ISTIO_NETWORKING_V1, kind: "Gateway", metadata: { name, namespace, ...meta }, spec };
}

/** Builds a `networking.istio.io/v1` ServiceEntry (namespace defaults to `default`). */
export function serviceEntry(
  name: string,
  spec: ServiceEntrySpec,
  namespace = "default",
  meta: MetaExtras = {},
): ServiceEntry {
  return {
    apiVersion: ISTIO_NETWORKING_V1,
    kind: "ServiceEntry",
    metadata: { name, namespace, ...meta },
    spec,
  };
}

/** A DestinationRule whose subsets select `version: <subset name>`. */
export function versionSubsets(
  host: string,
  versions: readonly string[],
  namespace = "default",
): DestinationRule {
  return destinationRule(
    host.split(".")[0] ?? host,
    { host, subsets: versions.map((v) => ({ name: v, labels: { version: v } })) },
    namespace,
  );
}
