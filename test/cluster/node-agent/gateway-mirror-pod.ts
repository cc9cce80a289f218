/**
 * The mesh's ingress gateway in the cluster, as a kubelet shows a static pod: a mirror Pod in
 * `istio-system`, bound to the node, owned by the Node, annotated `kubernetes.io/config.mirror`,
 * with the gateway's labels (`istio: ingressgateway`, what a Gateway's selector matches) and
 * its two containers (`istio-proxy` and `tranquil-trace-manager`), Running and Ready with a pod
 * IP behind the gateway's loopback listener. Deleting it only makes the node create it again;
 * a mirror pod of this node that names no running gateway (an earlier agent's) is deleted.
 */
import { createHash } from "node:crypto";
import { ApiException, type CoreV1Api, type V1Container, type V1Pod } from "@kubernetes/client-node";
import { INGRESS_GATEWAY_LABELS } from "../../../istio/local-mesh/proxies/ingress-gateway.js";
import { InjectedContainer } from "./pod-containers.js";
import { runningStatus, writePodStatus } from "./pod-status.js";

/** The namespace of the gateway's mirror pod. */
export const GATEWAY_NAMESPACE = "istio-system";
/** Annotations a kubelet puts on a mirror pod. */
export const MirrorAnnotation = {
  mirror: "kubernetes.io/config.mirror",
  hash: "kubernetes.io/config.hash",
  source: "kubernetes.io/config.source",
} as const;

const CONTAINERS: V1Container[] = [
  {
    name: InjectedContainer.proxy,
    image: "docker.io/istio/proxyv2:1.28.0",
    ports: [{ name: "http2", containerPort: 80 }],
  },
  { name: InjectedContainer.traceManager, image: "tranquil/trace-manager:local" },
];

/** Whether `pod` is a mirror pod (a static pod's record). */
export function isMirrorPod(pod: V1Pod): boolean {
  return pod.metadata?.annotations?.[MirrorAnnotation.mirror] !== undefined;
}

const ready = (p: V1Pod): boolean =>
  p.status?.phase === "Running" &&
  (p.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

/** Keeps the gateway's mirror pod in the cluster. */
export class GatewayMirrorPod {
  private readonly hash: string;

  constructor(
    private readonly core: CoreV1Api,
    private readonly nodeName: string,
    /** The gateway's pod name (the mesh's `gatewayPod`). */
    readonly name: string,
    /** The pod IP it reports (mapped to the gateway's loopback listener by the node). */
    readonly ip: string,
  ) {
    this.hash = createHash("sha256")
      .update(JSON.stringify({ name, containers: CONTAINERS }))
      .digest("hex")
      .slice(0, 32);
  }

  /** Creates the namespace and the pod if missing, recreates a deleted one, and sets it Running and Ready. */
  async ensure(): Promise<void> {
    let pod = await this.read();
    if (pod?.metadata?.deletionTimestamp !== undefined) {
      // A mirror pod is not the pod itself: deleting it through the API only recreates it.
      await this.delete(pod);
      pod = undefined;
    }
    if (pod === undefined) pod = await this.create();
    if (!ready(pod) || pod.status?.podIP !== this.ip)
      await writePodStatus(this.core, pod, runningStatus(CONTAINERS, this.ip, new Date()));
  }

  /** Deletes this node's mirror pods in istio-system other than this gateway's. */
  async deleteOrphans(): Promise<void> {
    const pods = await this.core.listNamespacedPod({
      namespace: GATEWAY_NAMESPACE,
      fieldSelector: `spec.nodeName=${this.nodeName}`,
    });
    for (const p of pods.items) if (isMirrorPod(p) && p.metadata?.name !== this.name) await this.delete(p);
  }

  private async read(): Promise<V1Pod | undefined> {
    try {
      return await this.core.readNamespacedPod({ name: this.name, namespace: GATEWAY_NAMESPACE });
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return undefined;
      throw err;
    }
  }

  private async create(): Promise<V1Pod> {
    await this.core
      .createNamespace({ body: { metadata: { name: GATEWAY_NAMESPACE } } })
      .catch((err: unknown) => {
        if (!(err instanceof ApiException && err.code === 409)) throw err;
      });
    const node = await this.core.readNode({ name: this.nodeName });
    return this.core.createNamespacedPod({
      namespace: GATEWAY_NAMESPACE,
      body: {
        metadata: {
          name: this.name,
          namespace: GATEWAY_NAMESPACE,
          labels: { ...INGRESS_GATEWAY_LABELS },
          annotations: {
            [MirrorAnnotation.mirror]: this.hash,
            [MirrorAnnotation.hash]: this.hash,
            [MirrorAnnotation.source]: "file",
          },
          ownerReferences: [
            {
              apiVersion: "v1",
              kind: "Node",
              name: this.nodeName,
              uid: node.metadata?.uid ?? "",
              controller: true,
            },
          ],
        },
        spec: { nodeName: this.nodeName, containers: structuredClone(CONTAINERS) },
      },
    });
  }

  private async delete(pod: V1Pod): Promise<void> {
    const { name = "", namespace = GATEWAY_NAMESPACE, uid = "" } = pod.metadata ?? {};
    try {
      await this.core.deleteNamespacedPod({
        name,
        namespace,
        gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, preconditions: { uid } },
      });
    } catch (err) {
      if (!(err instanceof ApiException && (err.code === 404 || err.code === 409))) throw err;
    }
  }
}
