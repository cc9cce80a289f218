/**
 * The node agent: the local mesh as the cluster's one node, in place of a kubelet. It keeps
 * its Node Ready and its Lease renewed, binds pending pods to itself (no scheduler runs),
 * starts each bound pod's program on the local mesh under the pod's own name (the app
 * container's image names the service and version; the mesh starts its sidecar proxy in place
 * of `istio-proxy`, and a TraceManager only when the pod has a `tranquil-trace-manager`
 * container), reports the pod Running with a pod IP and Ready once the app container's
 * readiness probe passes (at once without one; `readiness-prober.ts`), and on deletion stops the
 * instance gracefully within the pod's grace period, sets a terminal phase and deletes the pod
 * with grace 0 and a UID precondition. The mesh's ingress gateway shows in the cluster as a
 * static pod does: a mirror pod in istio-system. Pods are followed with an informer (list +
 * watch, restarted after an error), not polled. Liveness and startup probes, restarts and
 * preStop hooks are not run. Pods of Tranquil's own images (the controller) run as processes,
 * in any namespace (`process-pods.ts`); a process that exits ends its pod Failed (the
 * ReplicaSet replaces it), as restarts are not run.
 */
import {
  ApiException,
  CoreV1Api,
  makeInformer,
  type KubeConfig,
  type V1Container,
  type V1Pod,
  type V1PodStatus,
  type V1Probe,
} from "@kubernetes/client-node";
import type { MeshHandle } from "../../../istio/local-mesh/runtime/mesh-runtime.js";
import { KeyedQueue } from "../../../controller/reconciler/keyed-queue.js";
import { GATEWAY_NAMESPACE, GatewayMirrorPod, isMirrorPod } from "./gateway-mirror-pod.js";
import { programOf } from "./images.js";
import { NodeHeartbeat } from "./node-heartbeat.js";
import { PodAddresses } from "./pod-addresses.js";
import { appContainerOf, hasTraceManager } from "./pod-containers.js";
import {
  ContainerConfigError,
  LoopbackHosts,
  processEntryOf,
  startProcessPod,
  type ProcessPod,
} from "./process-pods.js";
import { runningStatus, waitingStatus, writePodStatus } from "./pod-status.js";
import { runProbe, type ProbeTarget } from "./probes.js";
import { ReadinessProber } from "./readiness-prober.js";

/** Options of {@link startNodeAgent}. */
export interface NodeAgentOptions {
  readonly kc: KubeConfig;
  readonly mesh: Pick<
    MeshHandle,
    "topology" | "startInstance" | "stopInstance" | "gatewayPod" | "ingressUrl"
  >;
  /** The Node's name (default `local-mesh`). */
  readonly nodeName?: string;
  /** How often the Lease is renewed and Ready re-asserted (default 10 s, as a kubelet). */
  readonly heartbeatMs?: number;
  /** Called with what the agent could not do (it retries on the next event or heartbeat). */
  readonly onError?: (err: unknown, what: string) => void;
}

/** A running node agent. */
export interface NodeAgent {
  readonly nodeName: string;
  /** The loopback address behind a pod IP (what the local proxies connect to), or undefined. */
  addressOf(podIp: string): string | undefined;
  /** The mesh instance running a pod (`namespace/name`), or undefined. */
  instanceOf(pod: string): string | undefined;
  /** The gateway's mirror pod: its name in istio-system and its pod IP. */
  readonly gateway: { readonly namespace: string; readonly name: string; readonly ip: string };
  /** Stops the informer and the heartbeat; the pods' instances belong to the mesh. */
  stop(): Promise<void>;
}

interface Running {
  readonly uid: string;
  /** The mesh instance; empty for a process pod. */
  readonly instance: string;
  /** The process of a pod of Tranquil's own images. */
  readonly process?: ProcessPod;
  readonly ip: string;
  /** The app container's readiness prober, when it has a readiness probe. */
  readonly prober?: ReadinessProber;
}

/** Registers the node and starts running the pods bound to it. */
export async function startNodeAgent(options: NodeAgentOptions): Promise<NodeAgent> {
  const nodeName = options.nodeName ?? "local-mesh";
  const { kc, mesh } = options;
  const core = kc.makeApiClient(CoreV1Api);
  const report = options.onError ?? (() => undefined);
  const heartbeat = new NodeHeartbeat(kc, nodeName);
  await heartbeat.register();
  const addresses = new PodAddresses();
  const writeStatus = (pod: V1Pod, status: V1PodStatus): Promise<void> => writePodStatus(core, pod, status);
  const gateway = new GatewayMirrorPod(
    core,
    nodeName,
    mesh.gatewayPod,
    addresses.allocate(new URL(mesh.ingressUrl).host),
  );
  const gatewayKey = `${GATEWAY_NAMESPACE}/${gateway.name}`;
  await gateway.deleteOrphans();
  await gateway.ensure();
  const running = new Map<string, Running>();
  const hosts = new LoopbackHosts();
  const queue = new KeyedQueue();
  let stopped = false;

  const keyOf = (pod: V1Pod): string => `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;

  const bind = async (pod: V1Pod): Promise<void> => {
    const { name = "", namespace = "" } = pod.metadata ?? {};
    try {
      await core.createNamespacedPodBinding({
        name,
        namespace,
        body: { metadata: { name, namespace }, target: { apiVersion: "v1", kind: "Node", name: nodeName } },
      });
    } catch (err) {
      // Bound already (an event that raced the binding): the pod's next update runs it.
      if (!(err instanceof ApiException && err.code === 409)) throw err;
    }
  };

  // Waiting reasons the agent itself reports: such a pod is not retried on every update.
  const refusals = new Set(["ErrImagePull", "CreateContainerConfigError"]);

  const probed = (pod: V1Pod, ip: string, container: V1Container, probe: V1Probe, target: ProbeTarget) => {
    const key = keyOf(pod);
    const containers = pod.spec?.containers ?? [];
    const now = new Date();
    const prober = new ReadinessProber(probe, () => runProbe(probe, target), {
      changed: (ready) => {
        const status = runningStatus(containers, ip, now, {
          notReady: ready ? [] : [container.name],
          since: new Date(),
        });
        void queue
          .enqueue(key, async () => {
            if (running.get(key)?.prober === prober) await writeStatus(pod, status);
          })
          .catch((err: unknown) => report(err, `readiness of ${key}`));
      },
      failed: (message) => {
        void recordUnhealthy(pod, container.name, message).catch((err: unknown) =>
          report(err, `event for ${key}`),
        );
      },
    });
    return prober;
  };

  const runProcess = async (pod: V1Pod, container: V1Container, entry: readonly string[]): Promise<void> => {
    const key = keyOf(pod);
    const host = hosts.allocate();
    const ip = addresses.allocate(host);
    let proc: ProcessPod;
    try {
      proc = await startProcessPod({ kc, pod, container, entry, host, podIp: ip });
    } catch (err) {
      addresses.release(ip);
      hosts.release(host);
      if (!(err instanceof ContainerConfigError)) throw err;
      await writeStatus(pod, waitingStatus(container, "CreateContainerConfigError", err.message));
      return;
    }
    const containers = pod.spec?.containers ?? [];
    const probe = container.readinessProbe;
    const port = (p: number | string | undefined): number =>
      typeof p === "string" && !/^\d+$/.test(p)
        ? (container.ports?.find((c) => c.name === p)?.containerPort ?? 0)
        : Number(p);
    const probePort = port(probe?.httpGet?.port ?? probe?.tcpSocket?.port ?? probe?.grpc?.port);
    const prober =
      probe === undefined
        ? undefined
        : probed(pod, ip, container, probe, {
            container,
            podPort: probePort,
            appAddress: `${host}:${probePort}`,
          });
    running.set(key, {
      uid: pod.metadata?.uid ?? "",
      instance: "",
      ip,
      process: proc,
      ...(prober ? { prober } : {}),
    });
    void proc.exited.then((code) =>
      queue
        .enqueue(key, async () => {
          const r = running.get(key);
          if (r?.process !== proc) return;
          // Exited on its own: no restarts on the local node, the pod ends (its ReplicaSet replaces it).
          r.prober?.stop();
          running.delete(key);
          addresses.release(ip);
          hosts.release(host);
          await writeStatus(
            pod,
            Object.assign({}, pod.status, { phase: code === 0 ? "Succeeded" : "Failed" }),
          );
        })
        .catch((err: unknown) => report(err, `exit of ${key}`)),
    );
    await writeStatus(
      pod,
      runningStatus(containers, ip, new Date(), { notReady: prober ? [container.name] : [] }),
    );
    prober?.start();
  };

  const run = async (pod: V1Pod): Promise<void> => {
    const container = appContainerOf(pod);
    const entry = processEntryOf(container?.image);
    if (container !== undefined && entry !== undefined) {
      await runProcess(pod, container, entry);
      return;
    }
    const namespace = pod.metadata?.namespace ?? "";
    if (namespace !== mesh.topology.namespace) {
      // The local mesh runs one namespace: its pods' names and endpoints are keyed in it.
      await writeStatus(
        pod,
        waitingStatus(
          container,
          "CreateContainerConfigError",
          `the local node runs pods of namespace ${mesh.topology.namespace} only (the local mesh's), not ${namespace}`,
        ),
      );
      return;
    }
    const program = programOf(container?.image, mesh.topology);
    if (!program.ok) {
      await writeStatus(pod, waitingStatus(container, program.reason, program.message));
      return;
    }
    const now = new Date();
    const instance = await mesh.startInstance(program.service, program.version, {
      pod: pod.metadata?.name ?? "",
      traceManager: hasTraceManager(pod),
    });
    const ip = addresses.allocate(instance.address);
    const key = keyOf(pod);
    const containers = pod.spec?.containers ?? [];
    const probe = container?.readinessProbe;
    if (container === undefined || probe === undefined) {
      running.set(key, { uid: pod.metadata?.uid ?? "", instance: instance.pod, ip });
      await writeStatus(pod, runningStatus(containers, ip, now));
      return;
    }
    const podPort = mesh.topology.services.find((s) => s.name === program.service)?.port ?? 0;
    const prober = probed(pod, ip, container, probe, { container, podPort, appAddress: instance.appAddress });
    running.set(key, { uid: pod.metadata?.uid ?? "", instance: instance.pod, ip, prober });
    await writeStatus(pod, runningStatus(containers, ip, now, { notReady: [container.name] }));
    prober.start();
  };

  // As a kubelet records a failed probe: a Warning Event `Unhealthy` on the pod.
  const recordUnhealthy = async (pod: V1Pod, containerName: string, message: string): Promise<void> => {
    const { name = "", namespace = "", uid = "" } = pod.metadata ?? {};
    const now = new Date();
    await core.createNamespacedEvent({
      namespace,
      body: {
        metadata: { generateName: `${name}.`, namespace },
        involvedObject: {
          apiVersion: "v1",
          kind: "Pod",
          name,
          namespace,
          uid,
          fieldPath: `spec.containers{${containerName}}`,
        },
        reason: "Unhealthy",
        type: "Warning",
        message: `Readiness probe failed: ${message}`,
        source: { component: "kubelet", host: nodeName },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
  };

  const terminate = async (pod: V1Pod): Promise<void> => {
    const key = keyOf(pod);
    const r = running.get(key);
    if (r !== undefined) {
      r.prober?.stop();
      const graceMs = (pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
      // The mesh drains the instance gracefully; the grace period bounds how long it may take.
      let timer: NodeJS.Timeout | undefined;
      const drained =
        r.process !== undefined
          ? await r.process.stop(graceMs)
          : await Promise.race([
              mesh.stopInstance(r.instance).then(() => true),
              new Promise<boolean>((res) => (timer = setTimeout(() => res(false), graceMs))),
            ]);
      clearTimeout(timer);
      running.delete(key);
      addresses.release(r.ip);
      if (r.process !== undefined) hosts.release(r.process.host);
      // As a kubelet reports it: a clean stop within the grace is Succeeded, else Failed.
      const phase = drained ? "Succeeded" : "Failed";
      await writeStatus(pod, Object.assign({}, pod.status, { phase })).catch((err: unknown) => {
        report(err, `setting ${key} ${phase}`);
      });
    }
    const { name = "", namespace = "" } = pod.metadata ?? {};
    try {
      await core.deleteNamespacedPod({
        name,
        namespace,
        gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid ?? "" } },
      });
    } catch (err) {
      // Gone already, or a new pod of the same name (the UID precondition protects it).
      if (!(err instanceof ApiException && (err.code === 404 || err.code === 409))) throw err;
    }
  };

  const handle = async (pod: V1Pod): Promise<void> => {
    if (stopped) return;
    if (isMirrorPod(pod)) {
      if (keyOf(pod) === gatewayKey) await gateway.ensure();
      return;
    }
    const key = keyOf(pod);
    const node = pod.spec?.nodeName;
    if (node === undefined || node === "") {
      if (pod.metadata?.deletionTimestamp === undefined) await bind(pod);
      return;
    }
    if (node !== nodeName) return;
    if (pod.metadata?.deletionTimestamp !== undefined) {
      await terminate(pod);
      return;
    }
    const r = running.get(key);
    if (r !== undefined && r.uid === pod.metadata?.uid) return;
    const phase = pod.status?.phase;
    if (phase === "Succeeded" || phase === "Failed") return;
    const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting?.reason;
    if (waiting !== undefined && refusals.has(waiting)) return;
    await run(pod);
  };

  const enqueue = (pod: V1Pod): void => {
    // A run queued behind another handles the pod as the cache holds it then, not this event's copy.
    const latest = (): V1Pod => informer.get(pod.metadata?.name ?? "", pod.metadata?.namespace) ?? pod;
    void queue
      .enqueue(keyOf(pod), () => handle(latest()))
      .catch((err: unknown) => report(err, `pod ${keyOf(pod)}`));
  };
  const forget = (pod: V1Pod): void => {
    const key = keyOf(pod);
    if (isMirrorPod(pod)) {
      // A static pod outlives its mirror: the node creates the mirror again.
      if (key === gatewayKey && !stopped)
        void queue
          .enqueue(key, () => gateway.ensure())
          .catch((err: unknown) => report(err, `mirror pod ${key}`));
      return;
    }
    const r = running.get(key);
    if (r === undefined || r.uid !== pod.metadata?.uid) return;
    // Deleted without passing through a graceful deletion (grace 0 by someone else): stop it now.
    r.prober?.stop();
    running.delete(key);
    addresses.release(r.ip);
    if (r.process !== undefined) {
      hosts.release(r.process.host);
      r.process.child.kill("SIGKILL");
      return;
    }
    void mesh.stopInstance(r.instance).catch((err: unknown) => report(err, `stopping ${key}`));
  };

  const informer = makeInformer(kc, "/api/v1/pods", () => core.listPodForAllNamespaces());
  informer.on("add", enqueue);
  informer.on("update", enqueue);
  informer.on("delete", forget);
  informer.on("error", (err) => {
    report(err, "pod watch");
    // As client-node's informer asks: start it again after a pause; it relists on start.
    if (!stopped)
      setTimeout(() => void informer.start().catch((e: unknown) => report(e, "pod watch restart")), 1_000);
  });
  await informer.start();

  const timer = setInterval(() => {
    heartbeat.beat().catch((err: unknown) => report(err, "node heartbeat"));
    // As a kubelet's sync loop does: the static pod's mirror is put back if anything removed it.
    void queue.enqueue(gatewayKey, () => gateway.ensure()).catch((err: unknown) => report(err, "mirror pod"));
  }, options.heartbeatMs ?? 10_000);

  return {
    nodeName,
    addressOf: (ip) => addresses.addressOf(ip),
    instanceOf: (pod) => running.get(pod)?.instance || undefined,
    gateway: { namespace: GATEWAY_NAMESPACE, name: gateway.name, ip: gateway.ip },
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      for (const r of running.values()) r.prober?.stop();
      await informer.stop();
      await queue.idle();
      // The processes are the node's own (the mesh's instances belong to the mesh): stopped by pid.
      await Promise.all([...running.values()].flatMap((r) => (r.process ? [r.process.stop(5_000)] : [])));
    },
  };
}
