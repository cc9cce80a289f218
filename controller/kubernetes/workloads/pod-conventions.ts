/**
 * The conventions the Kubernetes backend reads pods and Deployments by (fixed so the node
 * agent, the injection and the inventory agree):
 * - a service `<service>` is the Service selecting `app: <service>`; each version is a
 *   Deployment whose pod template carries `app: <service>` and `version: <version>`;
 * - a pod is in the mesh when it has a container named `istio-proxy` (what Istio's injection
 *   adds, as a container or, with native sidecars, as an init container that always restarts)
 *   or the annotation `sidecar.istio.io/status` (what the injection records);
 * - it runs a TraceManager when it has a container named `tranquil-trace-manager`;
 * - its app container is the first container that is neither.
 */
import type { V1Container, V1ObjectMeta, V1PodSpec } from "@kubernetes/client-node";

/** The label that names a pod's service. */
export const APP_LABEL = "app";
/** The label that names a pod's version (DESIGN §1: versions are selected by it). */
export const VERSION_LABEL = "version";
/** The container Istio's injection adds. */
export const PROXY_CONTAINER = "istio-proxy";
/** The container Tranquil's injection adds. */
export const TRACE_MANAGER_CONTAINER = "tranquil-trace-manager";
/** The annotation Istio's injection records on every pod it injected. */
export const SIDECAR_STATUS_ANNOTATION = "sidecar.istio.io/status";

/** The pod's long-running containers: regular ones and native sidecars (init containers that always restart). */
function runningContainers(spec: V1PodSpec | undefined): readonly V1Container[] {
  if (spec === undefined) return [];
  const sidecars = (spec.initContainers ?? []).filter((c) => c.restartPolicy === "Always");
  return [...spec.containers, ...sidecars];
}

/** True when the pod (or pod template) has an Istio proxy. */
export function hasProxy(metadata: V1ObjectMeta | undefined, spec: V1PodSpec | undefined): boolean {
  if (metadata?.annotations?.[SIDECAR_STATUS_ANNOTATION] !== undefined) return true;
  return runningContainers(spec).some((c) => c.name === PROXY_CONTAINER);
}

/** True when the pod (or pod template) runs a TraceManager beside its proxy. */
export function hasTraceManager(spec: V1PodSpec | undefined): boolean {
  return runningContainers(spec).some((c) => c.name === TRACE_MANAGER_CONTAINER);
}

/** Index in `spec.containers` of the app container, or -1 when there is none. */
export function appContainerIndex(spec: V1PodSpec | undefined): number {
  return (spec?.containers ?? []).findIndex(
    (c) => c.name !== PROXY_CONTAINER && c.name !== TRACE_MANAGER_CONTAINER,
  );
}
