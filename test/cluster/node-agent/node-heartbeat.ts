/**
 * The local node's presence in the cluster, as a kubelet keeps it: a Node object whose Ready
 * condition it sets itself (again after any outage: nothing else will), and a Lease in
 * `kube-node-lease` renewed on an interval, which the node lifecycle controller reads.
 */
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  V1MicroTime,
  type KubeConfig,
  type V1Node,
} from "@kubernetes/client-node";

/** What the node offers the pods bound to it. */
const CAPACITY = { cpu: "2", memory: "8Gi", pods: "110" };
/** How long a lease holds without renewal (the kubelet's default). */
const LEASE_DURATION_S = 40;

/** Keeps one Node registered and Ready, and its Lease renewed. */
export class NodeHeartbeat {
  private readonly core: CoreV1Api;
  private readonly coordination: CoordinationV1Api;

  constructor(
    kc: KubeConfig,
    readonly nodeName: string,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
  }

  /** Creates the Node if it is missing and sets it Ready. */
  async register(): Promise<void> {
    try {
      await this.core.createNode({
        body: { metadata: { name: this.nodeName, labels: { "kubernetes.io/hostname": this.nodeName } } },
      });
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 409)) throw err;
    }
    await this.beat();
  }

  /** Renews the Lease and sets Ready again if anything changed it. */
  async beat(): Promise<void> {
    await this.renewLease();
    const node = await this.core.readNode({ name: this.nodeName });
    const ready = node.status?.conditions?.find((c) => c.type === "Ready");
    if (ready?.status === "True" && node.status?.allocatable?.["pods"] !== undefined) return;
    await this.setReady(node);
  }

  private async setReady(node: V1Node): Promise<void> {
    const now = this.clock();
    node.status = Object.assign(node.status ?? {}, {
      capacity: CAPACITY,
      allocatable: CAPACITY,
      addresses: [{ type: "Hostname", address: this.nodeName }],
      conditions: [
        {
          type: "Ready",
          status: "True",
          reason: "KubeletReady",
          message: "the local node agent runs pods on the local mesh",
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
      ],
    });
    await this.core.replaceNodeStatus({ name: this.nodeName, body: node });
  }

  private async renewLease(): Promise<void> {
    const namespace = "kube-node-lease";
    const spec = {
      holderIdentity: this.nodeName,
      leaseDurationSeconds: LEASE_DURATION_S,
      // A Lease's times have microseconds; a plain Date is refused by the API server.
      renewTime: new V1MicroTime(this.clock().getTime()),
    };
    try {
      const lease = await this.coordination.readNamespacedLease({ name: this.nodeName, namespace });
      await this.coordination.replaceNamespacedLease({
        name: this.nodeName,
        namespace,
        body: Object.assign(lease, { spec: Object.assign(lease.spec ?? {}, spec) }),
      });
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 404)) throw err;
      await this.coordination.createNamespacedLease({
        namespace,
        body: { metadata: { name: this.nodeName, namespace }, spec },
      });
    }
  }
}
