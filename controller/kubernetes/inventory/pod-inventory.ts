/**
 * The Inventory port on Pods and Istio Gateways: two cluster-wide informers (Pods, and
 * `networking.istio.io/v1` Gateways through the custom objects API) whose caches answer every
 * call, so the inventory follows pods as they come and go without polling. What counts as a
 * proxy, a gateway pod or a TraceManager is in proxy-entries.ts.
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type V1Pod,
} from "@kubernetes/client-node";
import type { GatewayEntry, Inventory, ProxyEntry } from "../../ports/inventory.js";
import { startInformer, type Backoff, type ResourceInformer } from "../informer.js";
import { describeKubeError } from "../kube-errors.js";
import { gatewayEntries, proxyEntries, type IstioGateway } from "./proxy-entries.js";

const GATEWAYS = { group: "networking.istio.io", version: "v1", plural: "gateways" } as const;

/** Options of {@link PodInventory.start}. */
export interface PodInventoryOptions {
  readonly kc: KubeConfig;
  /** Restart backoff of the informers. */
  readonly backoff?: Backoff;
}

/** Proxies and gateways from the cluster's own records. */
export class PodInventory implements Inventory {
  private constructor(
    private readonly pods: ResourceInformer<V1Pod>,
    private readonly gatewayObjects: ResourceInformer<IstioGateway>,
  ) {}

  /** Starts both informers and resolves once each has listed. */
  static async start(options: PodInventoryOptions): Promise<PodInventory> {
    const core = options.kc.makeApiClient(CoreV1Api);
    const custom = options.kc.makeApiClient(CustomObjectsApi);
    const backoff = options.backoff !== undefined ? { backoff: options.backoff } : {};
    const pods = await startInformer<V1Pod>({
      kc: options.kc,
      path: "/api/v1/pods",
      list: () => core.listPodForAllNamespaces(),
      ...backoff,
    }).catch((err: unknown) => {
      throw describeKubeError(err, { verb: "list", resource: "pods" });
    });
    try {
      const gateways = await startInformer<IstioGateway>({
        kc: options.kc,
        path: `/apis/${GATEWAYS.group}/${GATEWAYS.version}/${GATEWAYS.plural}`,
        list: () => custom.listClusterCustomObject(GATEWAYS) as Promise<KubernetesListObject<IstioGateway>>,
        ...backoff,
      });
      return new PodInventory(pods, gateways);
    } catch (err) {
      await pods.stop();
      throw describeKubeError(err, { verb: "list", resource: `${GATEWAYS.plural}.${GATEWAYS.group}` });
    }
  }

  proxies(namespace: string): Promise<readonly ProxyEntry[]> {
    return Promise.resolve(proxyEntries(this.pods.list(), this.gatewayObjects.list(), namespace));
  }

  gateways(): Promise<readonly GatewayEntry[]> {
    return Promise.resolve(gatewayEntries(this.pods.list(), this.gatewayObjects.list()));
  }

  /** The informers' last errors, while they reconnect (for readiness). */
  lastError(): Error | undefined {
    return this.pods.lastError() ?? this.gatewayObjects.lastError();
  }

  /** Stops the informers. */
  async stop(): Promise<void> {
    await Promise.all([this.pods.stop(), this.gatewayObjects.stop()]);
  }
}
