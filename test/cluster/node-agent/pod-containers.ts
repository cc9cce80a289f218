/**
 * What the node agent reads of a pod's containers, by the injection convention: `istio-proxy` is
 * the sidecar proxy (the local mesh starts its own in its place), `tranquil-trace-manager` is
 * the TraceManager (started only when the pod has it, as Tranquil's injection adds it), and the
 * first other container is the app, whose image names the program.
 */
import type { V1Container, V1Pod } from "@kubernetes/client-node";

/** Container names the injection convention fixes. */
export const InjectedContainer = {
  proxy: "istio-proxy",
  traceManager: "tranquil-trace-manager",
} as const;

const INJECTED: readonly string[] = Object.values(InjectedContainer);

/** The app container: the first that is neither the proxy nor the TraceManager, if any. */
export function appContainerOf(pod: V1Pod): V1Container | undefined {
  return pod.spec?.containers.find((c) => !INJECTED.includes(c.name));
}

/** Whether the pod carries a TraceManager container. */
export function hasTraceManager(pod: V1Pod): boolean {
  return (pod.spec?.containers ?? []).some((c) => c.name === InjectedContainer.traceManager);
}
