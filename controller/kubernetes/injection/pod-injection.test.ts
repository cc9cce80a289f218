import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import {
  Annotation,
  INJECT_LABEL,
  ISTIO_PROXY_CONTAINER,
  SOCKET_VOLUME,
  TRACE_MANAGER_CONTAINER,
} from "./injection-names.js";
import type { JsonPatchOp } from "./json-patch.js";
import { SkipReason, decideInjection, type InjectionDecision } from "./pod-injection.js";
import { SIDECAR_DEFAULTS, type SidecarTemplate } from "./sidecar-template.js";

const template: SidecarTemplate = {
  ...SIDECAR_DEFAULTS,
  image: "tranquil/trace-manager:0.1.0",
  traceStore: { url: "redis://redis.tranquil-system:6379" },
};

function pod(
  overrides: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    spec?: Partial<V1Pod["spec"]>;
  } = {},
): V1Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      generateName: "order-v1-",
      labels: overrides.labels ?? { app: "order", version: "v1" },
      ...(overrides.annotations !== undefined ? { annotations: overrides.annotations } : {}),
    },
    spec: { containers: [{ name: "order", image: "tranquil/order:v1" }], ...overrides.spec },
  };
}

/** Applies RFC 6902 `add` operations as the API server does (the parent must exist). */
function applyPatch(doc: V1Pod, ops: readonly JsonPatchOp[]): V1Pod {
  const out = structuredClone(doc) as unknown as Record<string, unknown>;
  for (const op of ops) {
    const tokens = op.path
      .slice(1)
      .split("/")
      .map((t) => t.replaceAll("~1", "/").replaceAll("~0", "~"));
    const last = tokens.pop() ?? "";
    let parent: unknown = out;
    for (const t of tokens) {
      parent = (parent as Record<string, unknown>)[t];
      if (parent === undefined) throw new Error(`missing parent at ${op.path}`);
    }
    if (Array.isArray(parent)) {
      if (last === "-") parent.push(op.value);
      else parent.splice(Number(last), 0, op.value);
    } else (parent as Record<string, unknown>)[last] = op.value;
  }
  return out;
}

const patched = (p: V1Pod, d: InjectionDecision): V1Pod => {
  if (d.kind !== "inject") throw new Error(`expected a patch, got ${d.reason}`);
  return applyPatch(p, d.patch);
};
const tm = (p: V1Pod): V1Container | undefined =>
  p.spec?.containers.find((c) => c.name === TRACE_MANAGER_CONTAINER);

describe("decideInjection", () => {
  it("adds the TraceManager, the socket volume, fsGroup 1337 and Istio's annotations to a plain pod", () => {
    const before = pod();
    const after = patched(before, decideInjection(before, template, "0.1.0"));
    const container = tm(after);
    expect(container?.image).toBe("tranquil/trace-manager:0.1.0");
    expect(container?.command?.slice(0, 2)).toEqual(["node", "--max-semi-space-size=1"]);
    expect(container?.command?.at(-1)).toBe("trace-manager/main.js");
    const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      MALLOC_ARENA_MAX: "1",
      TM_ROLE: "sidecar",
      TM_SERVICE: { fieldRef: { fieldPath: "metadata.labels['app']" } },
      TM_VERSION: { fieldRef: { fieldPath: "metadata.labels['version']" } },
      POD_NAME: { fieldRef: { fieldPath: "metadata.name" } },
      POD_NAMESPACE: { fieldRef: { fieldPath: "metadata.namespace" } },
      TM_SOCKET: "/var/run/tranquil/tm.sock",
      TM_STORE: "redis://redis.tranquil-system:6379",
      TM_ENVOY_ADMIN_URL: "http://127.0.0.1:15000",
    });
    expect(container?.volumeMounts).toEqual([{ name: SOCKET_VOLUME, mountPath: "/var/run/tranquil" }]);
    expect(container?.resources).toEqual({
      requests: { cpu: "20m", memory: "64Mi" },
      limits: { memory: "128Mi" },
    });
    expect(container?.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      readOnlyRootFilesystem: true,
    });
    expect(after.spec?.volumes).toEqual([{ name: SOCKET_VOLUME, emptyDir: { medium: "Memory" } }]);
    expect(after.spec?.securityContext).toEqual({ fsGroup: 1337, fsGroupChangePolicy: "OnRootMismatch" });
    const annotations = after.metadata?.annotations ?? {};
    expect(JSON.parse(annotations[Annotation.istioUserVolume] ?? "")).toEqual({
      [SOCKET_VOLUME]: { emptyDir: { medium: "Memory" } },
    });
    expect(JSON.parse(annotations[Annotation.istioUserVolumeMount] ?? "")).toEqual({
      [SOCKET_VOLUME]: { mountPath: "/var/run/tranquil" },
    });
    expect(annotations[Annotation.injected]).toBe("0.1.0");
    // The app container stays first and untouched.
    expect(after.spec?.containers[0]).toEqual(before.spec?.containers[0]);
  });

  it("leaves an injected pod alone: the second decision has no patch", () => {
    const once = patched(pod(), decideInjection(pod(), template, "0.1.0"));
    expect(decideInjection(once, template, "0.1.0")).toEqual({
      kind: "skip",
      reason: SkipReason.alreadyInjected,
    });
  });

  it.each(["containers", "initContainers"] as const)(
    "mounts the socket directory in an istio-proxy already in %s",
    (list) => {
      const proxy: V1Container = {
        name: ISTIO_PROXY_CONTAINER,
        image: "istio/proxyv2",
        volumeMounts: [{ name: "istio-envoy", mountPath: "/etc/istio/proxy" }],
      };
      const before = pod();
      if (list === "containers") before.spec?.containers.push(proxy);
      else if (before.spec !== undefined) before.spec.initContainers = [proxy];
      const after = patched(before, decideInjection(before, template, "0.1.0"));
      const injectedProxy = after.spec?.[list]?.find((c) => c.name === ISTIO_PROXY_CONTAINER);
      expect(injectedProxy?.volumeMounts).toEqual([
        { name: "istio-envoy", mountPath: "/etc/istio/proxy" },
        { name: SOCKET_VOLUME, mountPath: "/var/run/tranquil" },
      ]);
      expect(decideInjection(after, template, "0.1.0").kind).toBe("skip");
    },
  );

  it("completes an injected pod whose proxy a later webhook added without the mount", () => {
    const once = patched(pod(), decideInjection(pod(), template, "0.1.0"));
    const withProxy = structuredClone(once);
    withProxy.spec?.containers.push({ name: ISTIO_PROXY_CONTAINER });
    const decision = decideInjection(withProxy, template, "0.1.0");
    expect(decision).toEqual({
      kind: "inject",
      patch: [
        {
          op: "add",
          path: "/spec/containers/2/volumeMounts",
          value: [{ name: SOCKET_VOLUME, mountPath: "/var/run/tranquil" }],
        },
      ],
    });
  });

  it.each([
    [
      "opted out by the pod label",
      pod({ labels: { app: "order", version: "v1", [INJECT_LABEL]: "disabled" } }),
      SkipReason.optedOut,
    ],
    ["no version label", pod({ labels: { app: "order" } }), SkipReason.noIdentity],
    [
      "an app label that is no DNS label",
      pod({ labels: { app: "Order_Service", version: "v1" } }),
      SkipReason.noIdentity,
    ],
    [
      "a volume of the socket's name",
      pod({ spec: { containers: [{ name: "a" }], volumes: [{ name: SOCKET_VOLUME, emptyDir: {} }] } }),
      SkipReason.volumeConflict,
    ],
  ])("skips a pod with %s", (_what, p, reason) => {
    expect(decideInjection(p, template, "0.1.0")).toMatchObject({ kind: "skip", reason });
  });

  it("reads the app.kubernetes.io labels when app and version are absent", () => {
    const p = pod({ labels: { "app.kubernetes.io/name": "order", "app.kubernetes.io/version": "v2" } });
    const env = tm(patched(p, decideInjection(p, template, "0.1.0")))?.env ?? [];
    expect(env.find((e) => e.name === "TM_SERVICE")?.valueFrom?.fieldRef?.fieldPath).toBe(
      "metadata.labels['app.kubernetes.io/name']",
    );
    expect(env.find((e) => e.name === "TM_VERSION")?.valueFrom?.fieldRef?.fieldPath).toBe(
      "metadata.labels['app.kubernetes.io/version']",
    );
  });

  it("runs a gateway pod's TraceManager in the gateway role, with its default names when labels are missing", () => {
    const p = pod({ labels: { istio: "ingressgateway" }, annotations: { [Annotation.role]: "gateway" } });
    const env = tm(patched(p, decideInjection(p, template, "0.1.0")))?.env ?? [];
    expect(env.find((e) => e.name === "TM_ROLE")?.value).toBe("gateway");
    expect(env.some((e) => e.name === "TM_SERVICE" || e.name === "TM_VERSION")).toBe(false);
  });

  it("keeps the pod's own fsGroup and adds 1337 to a securityContext without one", () => {
    const own = pod({
      spec: { containers: [{ name: "a" }], securityContext: { fsGroup: 2000, runAsNonRoot: true } },
    });
    expect(patched(own, decideInjection(own, template, "0.1.0")).spec?.securityContext).toEqual({
      fsGroup: 2000,
      runAsNonRoot: true,
    });
    const none = pod({ spec: { containers: [{ name: "a" }], securityContext: { runAsNonRoot: true } } });
    expect(patched(none, decideInjection(none, template, "0.1.0")).spec?.securityContext).toEqual({
      runAsNonRoot: true,
      fsGroup: 1337,
      fsGroupChangePolicy: "OnRootMismatch",
    });
    const policy = pod({
      spec: { containers: [{ name: "a" }], securityContext: { fsGroupChangePolicy: "Always" } },
    });
    expect(patched(policy, decideInjection(policy, template, "0.1.0")).spec?.securityContext).toEqual({
      fsGroupChangePolicy: "Always",
      fsGroup: 1337,
    });
  });

  it("adds its entries to existing Istio annotations of either form, escaping the keys' slashes", () => {
    const p = pod({
      annotations: {
        [Annotation.istioUserVolume]: '{"certs":{"secret":{"secretName":"c"}}}',
        [Annotation.istioUserVolumeMount]: '[{"name":"certs","mountPath":"/etc/certs"}]',
        other: "kept",
      },
    });
    const d = decideInjection(p, template, "0.1.0");
    expect(d.kind === "inject" && d.patch.map((o) => o.path)).toContain(
      "/metadata/annotations/sidecar.istio.io~1userVolume",
    );
    const a = patched(p, d).metadata?.annotations ?? {};
    expect(JSON.parse(a[Annotation.istioUserVolume] ?? "")).toEqual({
      certs: { secret: { secretName: "c" } },
      [SOCKET_VOLUME]: { emptyDir: { medium: "Memory" } },
    });
    expect(JSON.parse(a[Annotation.istioUserVolumeMount] ?? "")).toEqual([
      { name: "certs", mountPath: "/etc/certs" },
      { name: SOCKET_VOLUME, mountPath: "/var/run/tranquil" },
    ]);
    expect(a["other"]).toBe("kept");
  });

  it("leaves an Istio annotation it cannot parse as it is", () => {
    const p = pod({ annotations: { [Annotation.istioUserVolumeMount]: "not json" } });
    expect(
      patched(p, decideInjection(p, template, "0.1.0")).metadata?.annotations?.[
        Annotation.istioUserVolumeMount
      ],
    ).toBe("not json");
  });

  it("injects a native sidecar (an init container that restarts) when told to, and counts it as injected", () => {
    const native: SidecarTemplate = { ...template, nativeSidecar: true };
    const before = pod({ spec: { containers: [{ name: "order" }], initContainers: [{ name: "migrate" }] } });
    const after = patched(before, decideInjection(before, native, "0.1.0"));
    expect(after.spec?.containers.map((c) => c.name)).toEqual(["order"]);
    expect(after.spec?.initContainers?.map((c) => [c.name, c.restartPolicy])).toEqual([
      ["migrate", undefined],
      [TRACE_MANAGER_CONTAINER, "Always"],
    ]);
    expect(decideInjection(after, native, "0.1.0")).toEqual({
      kind: "skip",
      reason: SkipReason.alreadyInjected,
    });
    expect(decideInjection(after, template, "0.1.0")).toEqual({
      kind: "skip",
      reason: SkipReason.alreadyInjected,
    });
  });

  it("reads the trace store from a Secret when told to", () => {
    const t: SidecarTemplate = {
      ...template,
      traceStore: { secret: { name: "tranquil-redis", key: "url" } },
    };
    const env = tm(patched(pod(), decideInjection(pod(), t, "0.1.0")))?.env ?? [];
    expect(env.find((e) => e.name === "TM_STORE")).toEqual({
      name: "TM_STORE",
      valueFrom: { secretKeyRef: { name: "tranquil-redis", key: "url" } },
    });
  });
});
