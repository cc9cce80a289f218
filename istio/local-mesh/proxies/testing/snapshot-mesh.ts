import type { Endpoint, MeshSnapshot } from "../../control-plane/types.js";
import type { DestinationRule, Gateway, VirtualService } from "../../../api/types.js";
import { ProxyConfigHolder } from "../../control-plane/proxy-config.js";
import { snapshotSourceOf } from "../holder-source.js";
import { startSidecar, type Sidecar, type TraceManagerHooks } from "../sidecar.js";
import { startEchoGrpc, startEchoHttp, type TinyService } from "../../runtime/echo-app/echo-services.js";

/** An instance of a tiny service behind a sidecar routed by real snapshots (the evaluator). */
export interface SnapshotInstance {
  readonly pod: string;
  readonly service: string;
  readonly version: string;
  readonly app: TinyService;
  readonly sidecar: Sidecar;
  readonly snapshots: ProxyConfigHolder;
}

/**
 * Tiny services behind sidecars fed with MeshSnapshots by hand (a push to all at once, or to
 * one proxy): the routing evaluator decides, as in the runtime, without the control plane.
 */
export class SnapshotMesh {
  readonly instances: SnapshotInstance[] = [];
  virtualServices: VirtualService[] = [];
  destinationRules: DestinationRule[] = [];
  /** Gateways the ingress binds by (tests add the ones their VirtualServices name). */
  gateways: Gateway[] = [];
  endpoints: Endpoint[] = [];
  epoch = 0;

  constructor(
    private readonly hooks?: (
      service: string,
      version: string,
      pod: string,
    ) => Promise<TraceManagerHooks | undefined>,
  ) {}

  /** The current config as a snapshot (epoch bumped). */
  snapshot(): MeshSnapshot {
    this.epoch++;
    return {
      epoch: this.epoch,
      virtualServices: [...this.virtualServices],
      destinationRules: [...this.destinationRules],
      gateways: [...this.gateways],
      serviceEntries: [],
      endpoints: [...this.endpoints],
    };
  }

  /** Pushes the current config to every proxy (or those given). */
  push(
    to: readonly ProxyConfigHolder[] = this.instances.map((i) => i.snapshots),
    extra: readonly ProxyConfigHolder[] = [],
  ): MeshSnapshot {
    const s = this.snapshot();
    for (const p of [...to, ...extra]) p.deliver(s);
    return s;
  }

  /** Starts `service@version` with a sidecar and adds its endpoint (not pushed yet). */
  async start(
    service: string,
    version: string,
    kind: "grpc" | "http",
    port: number,
    next?: string,
  ): Promise<SnapshotInstance> {
    const pod = `${service}-${version}-${this.instances.length}`;
    const holder: { sidecar?: Sidecar } = {};
    const app =
      kind === "grpc"
        ? await startEchoGrpc({
            name: service,
            version,
            ...(next !== undefined
              ? {
                  next: {
                    address: () => `127.0.0.1:${String(holder.sidecar?.outboundPort ?? 1)}`,
                    authority: next,
                  },
                }
              : {}),
          })
        : await startEchoHttp({ name: service, version });
    const snapshots = new ProxyConfigHolder({ workerLag: { minMs: 0, maxMs: 0 } });
    const hooks = await this.hooks?.(service, version, pod);
    const sidecar = await startSidecar({
      pod,
      namespace: "default",
      service,
      labels: { app: service, version },
      servicePort: port,
      appAddress: app.address,
      snapshots: snapshotSourceOf(snapshots),
      ...(hooks !== undefined ? { hooks } : {}),
    });
    holder.sidecar = sidecar;
    const inst = { pod, service, version, app, sidecar, snapshots };
    this.instances.push(inst);
    this.endpoints.push({
      service,
      address: `127.0.0.1:${sidecar.inboundPort}`,
      port,
      labels: { app: service, version },
      pod,
      ready: true,
    });
    return inst;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.instances.map(async (i) => {
        await i.sidecar.close();
        await i.app.close();
        i.snapshots.close();
      }),
    );
  }
}
