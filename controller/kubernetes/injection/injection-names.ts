/**
 * The names injection fixes: the label that selects pods, the container and volume it adds, the
 * annotations it writes, and the socket directory the TraceManager and Envoy share. The local
 * node agent reads the same container names (`test/cluster/node-agent/pod-containers.ts`).
 */
import { CONFIG_DEFAULTS } from "../../../trace-manager/config.js";

/** The label, on a namespace or a pod, that turns injection on (`enabled`) or off (`disabled`, pods only). */
export const INJECT_LABEL = "tranquil.dev/inject";

/** The values of {@link INJECT_LABEL}. */
export const InjectValue = { enabled: "enabled", disabled: "disabled" } as const;

/** The injected container's name (the node agent and the controller look for it). */
export const TRACE_MANAGER_CONTAINER = "tranquil-trace-manager";

/** Istio's sidecar proxy container, in `containers` or, as a native sidecar, in `initContainers`. */
export const ISTIO_PROXY_CONTAINER = "istio-proxy";

/** The emptyDir holding the TraceManager's Unix socket. */
export const SOCKET_VOLUME = "tranquil-socket";

/** The socket, as the TraceManager creates it and the ServiceEntry names it (DESIGN §3). */
export const SOCKET_PATH = CONFIG_DEFAULTS.socketPath;

/** The directory both containers mount: the socket's parent. */
export const SOCKET_DIR = SOCKET_PATH.slice(0, SOCKET_PATH.lastIndexOf("/"));

/** Envoy's uid and gid in Istio's sidecar (and the fsGroup the socket directory gets when the pod has none). */
export const ENVOY_UID = 1337;

/** Annotations injection reads or writes. */
export const Annotation = {
  /** Istio: extra volumes for the proxy, a JSON object of volume name → volume source. */
  istioUserVolume: "sidecar.istio.io/userVolume",
  /** Istio: extra mounts for the proxy, a JSON object of volume name → mount (without the name). */
  istioUserVolumeMount: "sidecar.istio.io/userVolumeMount",
  /** Written by injection: the injector's version, so a reader can tell which injector touched the pod. */
  injected: "tranquil.dev/injected",
  /** Read by injection: `gateway` makes the TraceManager run in the gateway role. */
  role: "tranquil.dev/trace-manager-role",
} as const;

/** The pod labels the TraceManager's identity comes from, in order of preference (Istio reads the same). */
export const IdentityLabels = {
  service: ["app", "app.kubernetes.io/name"],
  version: ["version", "app.kubernetes.io/version"],
} as const;
