/**
 * The Inventory port over the local mesh's runtime: the ingress gateway and every instance,
 * each with its TraceManager (the local mesh starts one beside every proxy).
 */
import type { MeshHandle } from "../../istio/local-mesh/runtime/mesh-runtime.js";
import type { GatewayEntry, Inventory, ProxyEntry } from "../ports/inventory.js";

/** Inventory backed by the local mesh runtime. */
export class MeshInventory implements Inventory {
  constructor(private readonly mesh: Pick<MeshHandle, "instances" | "topology" | "gatewayPod">) {}

  proxies(namespace: string): Promise<readonly ProxyEntry[]> {
    // The gateway routes to every namespace; the instances all live in the topology's one.
    const gateway: ProxyEntry = {
      pod: this.mesh.gatewayPod,
      role: "gateway",
      traceManager: true,
      terminating: false,
    };
    if (namespace !== this.mesh.topology.namespace) return Promise.resolve([gateway]);
    const sidecars = this.mesh.instances().map((i): ProxyEntry => ({
      pod: i.pod,
      role: "sidecar",
      service: i.service,
      version: i.version,
      traceManager: i.traceManager,
      terminating: i.state === "stopping",
    }));
    return Promise.resolve([gateway, ...sidecars]);
  }

  gateways(): Promise<readonly GatewayEntry[]> {
    const { namespace, gateway } = this.mesh.topology;
    return Promise.resolve([{ namespace, name: gateway.name, pods: [this.mesh.gatewayPod] }]);
  }
}
