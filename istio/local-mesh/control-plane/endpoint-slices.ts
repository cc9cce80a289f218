/**
 * How the local control plane turns a namespace's Services, EndpointSlices and Pods into the
 * mesh's Endpoints, as istiod's EndpointSlice controller does: one Endpoint per pod that a
 * Service's EndpointSlices list, at the loopback address its proxy really listens on (the pod
 * IP translated by `addressOf`, as a CNI would route it), with the pod's labels (subsets select
 * on them), the Service's port, and ready as the EndpointSlice's ready condition says.
 */
import type { V1Endpoint, V1EndpointSlice, V1Pod, V1Service } from "@kubernetes/client-node";
import type { Endpoint } from "./types.js";

/** The label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

/** What {@link endpointsOf} reads: one namespace's objects as the informers cache them. */
export interface EndpointSources {
  readonly services: readonly V1Service[];
  readonly slices: readonly V1EndpointSlice[];
  readonly pods: readonly V1Pod[];
  /** The loopback `127.0.0.1:<port>` behind a pod IP, or undefined for an address not on this node. */
  readonly addressOf: (podIp: string) => string | undefined;
}

/** The Endpoints, and the pods listed by more than one Service (each kept under the first by name). */
export interface EndpointsResult {
  readonly endpoints: Endpoint[];
  readonly conflicts: string[];
}

const byName = (a: { metadata?: { name?: string } }, b: { metadata?: { name?: string } }): number =>
  (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "");

/**
 * The Service port an EndpointSlice's endpoints serve: the Service port of the same name as
 * the slice's first port (the mesh keys endpoints by pod, so a pod has one port), else the
 * Service's first port.
 */
function servicePort(service: V1Service, slice: V1EndpointSlice): number | undefined {
  const ports = service.spec?.ports ?? [];
  const sliceName = slice.ports?.[0]?.name ?? "";
  return (ports.find((p) => (p.name ?? "") === sliceName) ?? ports[0])?.port;
}

/**
 * Joins Services, EndpointSlices and Pods into Endpoints. An endpoint is left out while its
 * Service, its pod (by `targetRef`) or its loopback address is unknown; a nil ready condition
 * counts as ready (as the API documents); a pod listed twice by one Service (two slices during
 * a rebalance) is ready only if every listing says so.
 */
export function endpointsOf(src: EndpointSources): EndpointsResult {
  const services = new Map(src.services.map((s) => [s.metadata?.name ?? "", s]));
  const pods = new Map(src.pods.map((p) => [p.metadata?.name ?? "", p]));
  const out = new Map<string, Endpoint>();
  const conflicts = new Set<string>();
  const slices = [...src.slices].sort(
    (a, b) =>
      (a.metadata?.labels?.[SERVICE_NAME_LABEL] ?? "").localeCompare(
        b.metadata?.labels?.[SERVICE_NAME_LABEL] ?? "",
      ) || byName(a, b),
  );
  for (const slice of slices) {
    const service = services.get(slice.metadata?.labels?.[SERVICE_NAME_LABEL] ?? "");
    const serviceName = service?.metadata?.name;
    if (service === undefined || serviceName === undefined || slice.addressType === "FQDN") continue;
    const port = servicePort(service, slice);
    if (port === undefined) continue;
    // A slice without endpoints comes as `endpoints: null` over the wire.
    const endpoints: readonly V1Endpoint[] = (slice.endpoints as V1Endpoint[] | null | undefined) ?? [];
    for (const e of endpoints) {
      const podName = e.targetRef?.kind === "Pod" ? e.targetRef.name : undefined;
      const pod = podName === undefined ? undefined : pods.get(podName);
      const ip = e.addresses[0];
      const address = ip === undefined ? undefined : src.addressOf(ip);
      if (podName === undefined || pod === undefined || address === undefined) continue;
      const ready = e.conditions?.ready !== false;
      const seen = out.get(podName);
      if (seen !== undefined) {
        if (seen.service === serviceName) seen.ready = seen.ready && ready;
        else conflicts.add(`pod ${podName} is listed by Services ${seen.service} and ${serviceName}`);
        continue;
      }
      out.set(podName, {
        service: serviceName,
        address,
        port,
        labels: { ...(pod.metadata?.labels ?? {}) },
        pod: podName,
        ready,
      });
    }
  }
  return { endpoints: [...out.values()], conflicts: [...conflicts] };
}
