/**
 * Pod statuses as a kubelet writes them, through the status subresource: Running with a pod IP
 * and a running status per container (Ready once every container's readiness probe passed), or Pending with a container waiting for a reason.
 */
import {
  ApiException,
  type CoreV1Api,
  type V1Container,
  type V1ContainerStatus,
  type V1Pod,
  type V1PodStatus,
} from "@kubernetes/client-node";

/** The address the node reports as every pod's hostIP. */
export const HOST_IP = "10.244.0.1";

/**
 * Replaces `pod`'s status, re-reading it on a conflict (a few times); does nothing when the pod
 * of that name is another one now (another UID).
 */
export async function writePodStatus(core: CoreV1Api, pod: V1Pod, status: V1PodStatus): Promise<void> {
  const { name = "", namespace = "" } = pod.metadata ?? {};
  for (let attempt = 0; ; attempt++) {
    const current = await core.readNamespacedPod({ name, namespace });
    if (current.metadata?.uid !== pod.metadata?.uid) return;
    try {
      current.status = status;
      await core.replaceNamespacedPodStatus({ name, namespace, body: current });
      return;
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 409) || attempt >= 5) throw err;
    }
  }
}

/** Which containers are not ready (their readiness probe has not passed), and since when. */
export interface Readiness {
  readonly notReady: readonly string[];
  /** When the pod's readiness last changed (default: the start). */
  readonly since?: Date;
}

/**
 * Running at `ip` with every container started at `startedAt`; Ready unless `readiness` names a
 * container that is not ready (then `ContainersReady` and `Ready` are False, as a kubelet says).
 */
export function runningStatus(
  containers: readonly V1Container[],
  ip: string,
  startedAt: Date,
  readiness: Readiness = { notReady: [] },
): V1PodStatus {
  const since = readiness.since ?? startedAt;
  const ready = readiness.notReady.length === 0;
  const readyCondition = (type: string) =>
    ready
      ? { type, status: "True", lastTransitionTime: since }
      : {
          type,
          status: "False",
          lastTransitionTime: since,
          reason: "ContainersNotReady",
          message: `containers with unready status: [${readiness.notReady.join(" ")}]`,
        };
  return {
    phase: "Running",
    hostIP: HOST_IP,
    hostIPs: [{ ip: HOST_IP }],
    podIP: ip,
    podIPs: [{ ip }],
    startTime: startedAt,
    conditions: [
      { type: "PodScheduled", status: "True", lastTransitionTime: startedAt },
      { type: "Initialized", status: "True", lastTransitionTime: startedAt },
      readyCondition("ContainersReady"),
      readyCondition("Ready"),
    ],
    containerStatuses: containers.map((c): V1ContainerStatus => ({
      name: c.name,
      image: c.image ?? "",
      imageID: c.image ?? "",
      ready: !readiness.notReady.includes(c.name),
      started: true,
      restartCount: 0,
      state: { running: { startedAt } },
    })),
  };
}

/** Pending, not Ready: `container` waits for `reason` (as a kubelet reports ErrImagePull). */
export function waitingStatus(
  container: V1Container | undefined,
  reason: string,
  message: string,
): V1PodStatus {
  return {
    phase: "Pending",
    conditions: [
      { type: "PodScheduled", status: "True" },
      { type: "Ready", status: "False", reason: "ContainersNotReady" },
    ],
    containerStatuses: [
      {
        name: container?.name ?? "app",
        image: container?.image ?? "",
        imageID: "",
        ready: false,
        restartCount: 0,
        state: { waiting: { reason, message } },
      },
    ],
  };
}
