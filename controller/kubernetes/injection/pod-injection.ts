/**
 * Decides what injection does to one pod, as a pure function of the pod and the template: the
 * JSONPatch that adds the TraceManager, its socket volume, the mount in Istio's proxy and the
 * annotations, or why it leaves the pod alone. A pod that already has all of it gets no patch.
 */
import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { isDnsLabel } from "../../../trace-manager/ids.js";
import {
  Annotation,
  ENVOY_UID,
  INJECT_LABEL,
  ISTIO_PROXY_CONTAINER,
  IdentityLabels,
  InjectValue,
  SOCKET_DIR,
  SOCKET_VOLUME,
  TRACE_MANAGER_CONTAINER,
} from "./injection-names.js";
import { appendTo, pointer, type JsonPatchOp } from "./json-patch.js";
import { traceManagerContainer, type PodIdentity, type SidecarTemplate } from "./sidecar-template.js";
import { withUserVolume, withUserVolumeMount } from "./istio-user-volumes.js";

/** Why a pod is left as it is. */
export const SkipReason = {
  optedOut: "opted-out",
  alreadyInjected: "already-injected",
  noIdentity: "no-identity",
  volumeConflict: "volume-conflict",
} as const;
/** One of {@link SkipReason}. */
export type SkipReason = (typeof SkipReason)[keyof typeof SkipReason];

/** What injection does to a pod. */
export type InjectionDecision =
  | { readonly kind: "inject"; readonly patch: readonly JsonPatchOp[] }
  | { readonly kind: "skip"; readonly reason: SkipReason; readonly detail?: string };

/** The socket volume: an emptyDir in memory (a socket holds no data; no disk is written). */
export const SOCKET_VOLUME_SOURCE = { emptyDir: { medium: "Memory" } } as const;

/** The socket directory's mount in Istio's proxy. */
export const PROXY_SOCKET_MOUNT = { name: SOCKET_VOLUME, mountPath: SOCKET_DIR } as const;

interface ProxyLocation {
  readonly list: "containers" | "initContainers";
  readonly index: number;
  readonly container: V1Container;
}

function findProxy(pod: V1Pod): ProxyLocation | undefined {
  for (const list of ["containers", "initContainers"] as const) {
    const index = (pod.spec?.[list] ?? []).findIndex((c) => c.name === ISTIO_PROXY_CONTAINER);
    const container = pod.spec?.[list]?.[index];
    if (container !== undefined) return { list, index, container };
  }
  return undefined;
}

/** The first identity label of `keys` the pod carries with a DNS-label value. */
function labelOf(pod: V1Pod, keys: readonly string[]): string | undefined {
  const labels = pod.metadata?.labels ?? {};
  return keys.find((k) => isDnsLabel(labels[k]));
}

function identityOf(pod: V1Pod): PodIdentity | string {
  const role = pod.metadata?.annotations?.[Annotation.role] === "gateway" ? "gateway" : "sidecar";
  const serviceLabel = labelOf(pod, IdentityLabels.service);
  const versionLabel = labelOf(pod, IdentityLabels.version);
  // A gateway's TraceManager has default names; a service's needs both (trace-manager/config.ts).
  if (role === "sidecar" && (serviceLabel === undefined || versionLabel === undefined))
    return `the pod needs a DNS-label ${IdentityLabels.service.join(" or ")} label and a ${IdentityLabels.version.join(" or ")} label`;
  return {
    role,
    ...(serviceLabel !== undefined ? { serviceLabel } : {}),
    ...(versionLabel !== undefined ? { versionLabel } : {}),
  };
}

/** The mount of the socket directory in the proxy, when the pod already has the proxy. */
function proxyMountOps(proxy: ProxyLocation | undefined): JsonPatchOp[] {
  if (proxy === undefined || (proxy.container.volumeMounts ?? []).some((m) => m.name === SOCKET_VOLUME))
    return [];
  return [
    appendTo(
      pointer("spec", proxy.list, proxy.index, "volumeMounts"),
      proxy.container.volumeMounts,
      PROXY_SOCKET_MOUNT,
    ),
  ];
}

function annotationOps(pod: V1Pod, injectorVersion: string): JsonPatchOp[] {
  const current = pod.metadata?.annotations;
  const wanted: Record<string, string> = { [Annotation.injected]: injectorVersion };
  const volume = withUserVolume(current?.[Annotation.istioUserVolume], SOCKET_VOLUME, SOCKET_VOLUME_SOURCE);
  if (volume !== undefined) wanted[Annotation.istioUserVolume] = volume;
  const mount = withUserVolumeMount(current?.[Annotation.istioUserVolumeMount], PROXY_SOCKET_MOUNT);
  if (mount !== undefined) wanted[Annotation.istioUserVolumeMount] = mount;
  if (current === undefined) return [{ op: "add", path: pointer("metadata", "annotations"), value: wanted }];
  return Object.entries(wanted).map(([k, v]) => ({
    op: "add",
    path: pointer("metadata", "annotations", k),
    value: v,
  }));
}

/**
 * The patch for `pod`, or why there is none. The socket directory gets group ownership from the
 * pod's fsGroup (1337 when the pod sets none): the kubelet gives every container that group,
 * Envoy included, and the TraceManager's socket (mode 0660) inherits it from the directory.
 */
export function decideInjection(
  pod: V1Pod,
  template: SidecarTemplate,
  injectorVersion: string,
): InjectionDecision {
  if (pod.metadata?.labels?.[INJECT_LABEL] === InjectValue.disabled)
    return { kind: "skip", reason: SkipReason.optedOut };
  const proxy = findProxy(pod);
  const containers = pod.spec?.containers ?? [];
  const injected = (list: readonly V1Container[] | undefined): boolean =>
    (list ?? []).some((c) => c.name === TRACE_MANAGER_CONTAINER);
  if (injected(containers) || injected(pod.spec?.initContainers)) {
    // Injected before; only a proxy added since (by a later webhook) may still lack the mount.
    const ops = proxyMountOps(proxy);
    return ops.length === 0
      ? { kind: "skip", reason: SkipReason.alreadyInjected }
      : { kind: "inject", patch: ops };
  }
  if ((pod.spec?.volumes ?? []).some((v) => v.name === SOCKET_VOLUME))
    return {
      kind: "skip",
      reason: SkipReason.volumeConflict,
      detail: `the pod already has a volume ${SOCKET_VOLUME}`,
    };
  const identity = identityOf(pod);
  if (typeof identity === "string") return { kind: "skip", reason: SkipReason.noIdentity, detail: identity };

  const security = pod.spec?.securityContext;
  const ops: JsonPatchOp[] = [
    appendTo(pointer("spec", "volumes"), pod.spec?.volumes, { name: SOCKET_VOLUME, ...SOCKET_VOLUME_SOURCE }),
    template.nativeSidecar === true
      ? appendTo(
          pointer("spec", "initContainers"),
          pod.spec?.initContainers,
          traceManagerContainer(template, identity),
        )
      : appendTo(pointer("spec", "containers"), containers, traceManagerContainer(template, identity)),
    ...proxyMountOps(proxy),
  ];
  // An fsGroup of injection's own choosing changes only what must change: OnRootMismatch spares
  // the recursive chown of the app's volumes when their root already has the group.
  const fsGroup = { fsGroup: ENVOY_UID, fsGroupChangePolicy: "OnRootMismatch" };
  if (security === undefined)
    ops.push({ op: "add", path: pointer("spec", "securityContext"), value: fsGroup });
  else if (security.fsGroup === undefined)
    for (const [k, v] of Object.entries(fsGroup))
      if (k === "fsGroup" || security.fsGroupChangePolicy === undefined)
        ops.push({ op: "add", path: pointer("spec", "securityContext", k), value: v });
  ops.push(...annotationOps(pod, injectorVersion));
  return { kind: "inject", patch: ops };
}
