/**
 * What injection adds to a pod, as settings: the TraceManager's image and command, where it
 * writes its records, its admin port, its resources and its user. `traceManagerContainer`
 * turns them into the container; the pod's identity comes from the downward API.
 */
import type { V1Container, V1EnvVar, V1ResourceRequirements } from "@kubernetes/client-node";
import { ENV_VARS } from "../../../trace-manager/config.js";
import { SIDECAR_NODE_ENV, SIDECAR_NODE_FLAGS } from "../../../trace-manager/node-flags.js";
import { SOCKET_DIR, SOCKET_PATH, SOCKET_VOLUME, TRACE_MANAGER_CONTAINER } from "./injection-names.js";

/** Where the TraceManager's records go: a URL in the pod spec, or one read from a Secret's key. */
export type TraceStoreSetting =
  { readonly url: string } | { readonly secret: { readonly name: string; readonly key: string } };

/** The injected container's settings. */
export interface SidecarTemplate {
  readonly image: string;
  readonly imagePullPolicy: "Always" | "IfNotPresent" | "Never";
  /** The bundle's entry point inside the image (`npm run bundle`'s `trace-manager/main.js`). */
  readonly entryPoint: string;
  /**
   * Inject a native sidecar (an init container with `restartPolicy: Always`, Kubernetes ≥ 1.29):
   * it starts before the app and stops after it. Off by default: the local node agent, and
   * Tranquil's readers of a pod, look for the TraceManager in `containers`.
   */
  readonly nativeSidecar?: boolean;
  readonly traceStore: TraceStoreSetting;
  /** The TraceManager's admin HTTP port (`/healthz`, `/metrics`); it shares the pod's network. */
  readonly adminPort: number;
  /** The pod's Envoy admin (Istio's proxy serves it on 127.0.0.1:15000). */
  readonly envoyAdminUrl: string;
  /** `TM_MAX_TRANSACTION_AGE_MS`, kept equal to the controller's `maxTransactionAge` (ADR 0085). */
  readonly maxTransactionAgeMs?: number;
  /** A non-root uid and gid, not Envoy's 1337: Istio's iptables rules exempt 1337's traffic from the proxy. */
  readonly runAsUser: number;
  readonly resources: {
    readonly cpuRequest: string;
    readonly memoryRequest: string;
    readonly memoryLimit: string;
    /** Unset by default: a CPU limit throttles the Check path, whose budget is 20 ms. */
    readonly cpuLimit?: string;
  };
}

/** The defaults of everything but the image and the trace store. */
export const SIDECAR_DEFAULTS = {
  imagePullPolicy: "IfNotPresent",
  entryPoint: "trace-manager/main.js",
  adminPort: 9464,
  envoyAdminUrl: "http://127.0.0.1:15000",
  runAsUser: 10001,
  // ADR 0009: about 61–67 MB resident, the old generation capped at 48 MB.
  resources: { cpuRequest: "20m", memoryRequest: "64Mi", memoryLimit: "128Mi" },
} as const;

/** The TraceManager's role in the pod: beside a service's Envoy, or beside an ingress gateway's. */
export type TraceManagerRole = "sidecar" | "gateway";

/** The pod's identity as injection found it: which labels carry its service and version. */
export interface PodIdentity {
  readonly role: TraceManagerRole;
  /** The label holding the service name (`app`), or undefined for a gateway without one. */
  readonly serviceLabel?: string;
  readonly versionLabel?: string;
}

const fromField = (name: string, fieldPath: string): V1EnvVar => ({
  name,
  valueFrom: { fieldRef: { fieldPath } },
});

const fromLabel = (name: string, label: string): V1EnvVar => fromField(name, `metadata.labels['${label}']`);

function storeEnv(store: TraceStoreSetting): V1EnvVar {
  return "url" in store
    ? { name: ENV_VARS.store, value: store.url }
    : {
        name: ENV_VARS.store,
        valueFrom: { secretKeyRef: { name: store.secret.name, key: store.secret.key } },
      };
}

function resources(r: SidecarTemplate["resources"]): V1ResourceRequirements {
  return {
    requests: { cpu: r.cpuRequest, memory: r.memoryRequest },
    limits: { memory: r.memoryLimit, ...(r.cpuLimit !== undefined ? { cpu: r.cpuLimit } : {}) },
  };
}

/**
 * The TraceManager container for a pod: the bundle run with the sidecar Node flags (ADR 0009),
 * its identity from the downward API, the socket directory mounted, probes on its admin port,
 * non-root with a read-only root filesystem.
 */
export function traceManagerContainer(t: SidecarTemplate, identity: PodIdentity): V1Container {
  const env: V1EnvVar[] = [
    ...Object.entries(SIDECAR_NODE_ENV).map(([name, value]) => ({ name, value })),
    { name: ENV_VARS.role, value: identity.role },
    ...(identity.serviceLabel !== undefined ? [fromLabel(ENV_VARS.service, identity.serviceLabel)] : []),
    ...(identity.versionLabel !== undefined ? [fromLabel(ENV_VARS.version, identity.versionLabel)] : []),
    fromField(ENV_VARS.pod, "metadata.name"),
    fromField("POD_NAMESPACE", "metadata.namespace"),
    { name: ENV_VARS.socketPath, value: SOCKET_PATH },
    storeEnv(t.traceStore),
    { name: ENV_VARS.envoyAdminUrl, value: t.envoyAdminUrl },
    { name: ENV_VARS.adminPort, value: String(t.adminPort) },
    ...(t.maxTransactionAgeMs !== undefined
      ? [{ name: ENV_VARS.maxTransactionAgeMs, value: String(t.maxTransactionAgeMs) }]
      : []),
  ];
  // Liveness and readiness on /healthz, never /readyz: /readyz follows the trace store, and a
  // store outage must not take every injected pod out of its Services (Envoy fails open).
  const probe = { httpGet: { path: "/healthz", port: t.adminPort }, periodSeconds: 5, timeoutSeconds: 2 };
  return {
    name: TRACE_MANAGER_CONTAINER,
    image: t.image,
    imagePullPolicy: t.imagePullPolicy,
    command: ["node", ...SIDECAR_NODE_FLAGS, t.entryPoint],
    env,
    ports: [{ name: "tm-admin", containerPort: t.adminPort, protocol: "TCP" }],
    readinessProbe: { ...probe, failureThreshold: 3 },
    livenessProbe: { ...probe, failureThreshold: 6, initialDelaySeconds: 5 },
    resources: resources(t.resources),
    securityContext: {
      runAsNonRoot: true,
      runAsUser: t.runAsUser,
      runAsGroup: t.runAsUser,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
    volumeMounts: [{ name: SOCKET_VOLUME, mountPath: SOCKET_DIR }],
    ...(t.nativeSidecar === true ? { restartPolicy: "Always" } : {}),
  };
}
