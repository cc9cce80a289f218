/**
 * Pod statuses as a kubelet writes them, through the status subresource: Running and Ready with
 * a pod IP and a running status per container, or Pending with a container waiting for a reason.
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

/** Running and Ready at `ip`, every container started and ready since `now`. */
export function runningStatus(containers: readonly V1Container[], ip: string, now: Date): V1PodStatus {
  return {
    phase: "Running",
    hostIP: HOST_IP,
    hostIPs: [{ ip: HOST_IP }],
    podIP: ip,
    podIPs: [{ ip }],
    startTime: now,
    conditions: [
      { type: "PodScheduled", status: "True", lastTransitionTime: now },
      { type: "Initialized", status: "True", lastTransitionTime: now },
      { type: "ContainersReady", status: "True", lastTransitionTime: now },
      { type: "Ready", status: "True", lastTransitionTime: now },
    ],
    containerStatuses: containers.map((c): V1ContainerStatus => ({
      name: c.name,
      image: c.image ?? "",
      imageID: c.image ?? "",
      ready: true,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: now } },
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
