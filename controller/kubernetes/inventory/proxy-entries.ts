/**
 * Which pods are proxies, from Pods and Istio Gateways as Kubernetes records them (pure):
 * - a gateway pod is a pod with a proxy whose labels match a `networking.istio.io/v1`
 *   Gateway's `spec.selector`, in any namespace (Istio's default); a Gateway without a
 *   selector selects nothing here;
 * - a sidecar pod is any other pod with a proxy;
 * - pods that have ended (phase Succeeded or Failed) run no proxy and are left out; every
 *   other pod is listed, Pending ones included, with or without a TraceManager, so one that
 *   never reports is waited for, never skipped (DESIGN §4.7);
 * - terminating means a deletionTimestamp is set; service and version are the `app` and
 *   `version` labels.
 */
import type { KubernetesObject, V1Pod } from "@kubernetes/client-node";
import { gatewaySelectorMatches } from "../../../istio/routing/gateway-binding.js";
import type { GatewayEntry, ProxyEntry } from "../../ports/inventory.js";
import { APP_LABEL, hasProxy, hasTraceManager, VERSION_LABEL } from "../workloads/pod-conventions.js";

/** An Istio Gateway, as far as the inventory reads it. */
export interface IstioGateway extends KubernetesObject {
  readonly spec?: { readonly selector?: Readonly<Record<string, string>> };
}

/** True when the gateway's selector matches the pod's labels (an empty selector matches nothing). */
export function selects(gateway: IstioGateway, pod: V1Pod): boolean {
  return gatewaySelectorMatches(gateway.spec?.selector, pod.metadata?.labels ?? {});
}

/** True for a pod whose proxy may run: not ended, and with a proxy. */
export function isProxyPod(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== "Succeeded" && phase !== "Failed" && hasProxy(pod.metadata, pod.spec);
}

function entry(pod: V1Pod, role: ProxyEntry["role"]): ProxyEntry {
  const labels = pod.metadata?.labels ?? {};
  const service = labels[APP_LABEL];
  const version = labels[VERSION_LABEL];
  const deletion = pod.metadata?.deletionTimestamp;
  return {
    pod: pod.metadata?.name ?? "",
    role,
    ...(role === "sidecar" && service !== undefined ? { service } : {}),
    ...(role === "sidecar" && version !== undefined ? { version } : {}),
    traceManager: hasTraceManager(pod.spec),
    terminating: deletion !== undefined && deletion !== null,
  };
}

function key(pod: V1Pod): string {
  return `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;
}

/** The proxies of `namespace`'s sidecar pods plus every gateway pod, gateways first, each by name. */
export function proxyEntries(
  pods: readonly V1Pod[],
  gateways: readonly IstioGateway[],
  namespace: string,
): ProxyEntry[] {
  const live = pods.filter(isProxyPod);
  const gatewayPods = live.filter((p) => gateways.some((g) => selects(g, p)));
  const isGateway = new Set(gatewayPods.map(key));
  const sidecars = live.filter((p) => p.metadata?.namespace === namespace && !isGateway.has(key(p)));
  const byName = (a: ProxyEntry, b: ProxyEntry): number => a.pod.localeCompare(b.pod);
  return [
    ...gatewayPods.map((p) => entry(p, "gateway")).sort(byName),
    ...sidecars.map((p) => entry(p, "sidecar")).sort(byName),
  ];
}

/** Every Gateway with the names of the gateway pods it selects. */
export function gatewayEntries(pods: readonly V1Pod[], gateways: readonly IstioGateway[]): GatewayEntry[] {
  const live = pods.filter(isProxyPod);
  return gateways
    .map((g) => ({
      namespace: g.metadata?.namespace ?? "",
      name: g.metadata?.name ?? "",
      pods: live
        .filter((p) => selects(g, p))
        .map((p) => p.metadata?.name ?? "")
        .sort(),
    }))
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}
