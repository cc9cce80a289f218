import { EMPTY_SNAPSHOT } from "../control-plane-adapter.js";
import { startSidecar, type Sidecar, type TraceManagerHooks } from "../sidecar.js";
import type { SnapshotSource } from "../snapshot-source.js";
import { StaticRouting } from "./static-routing.js";
import { startEchoGrpc, startEchoHttp, type TinyService } from "../../runtime/echo-app/echo-services.js";

/** An app with its sidecar. */
export interface TestInstance {
  readonly service: string;
  readonly version: string;
  readonly app: TinyService;
  readonly sidecar: Sidecar;
}

/** Snapshots that never change (for sidecars routed by a StaticRouting). */
export const EMPTY_SOURCE: SnapshotSource = {
  admin: () => ({ snapshot: EMPTY_SNAPSHOT, receivedAt: 0 }),
  routing: () => EMPTY_SNAPSHOT,
};

/** Instances of tiny services behind sidecars, routed by one StaticRouting. */
export class TestMesh {
  readonly routing = new StaticRouting();
  readonly instances: TestInstance[] = [];

  constructor(private readonly hooks?: () => TraceManagerHooks | undefined) {}

  /** Starts `service@version` (gRPC echo, or HTTP/1.1 echo) with a sidecar and registers its endpoint. */
  async start(
    service: string,
    version: string,
    kind: "grpc" | "http" = "grpc",
    next?: string,
  ): Promise<TestInstance> {
    const pod = `${service}-${version}-${this.instances.length}`;
    // eslint-disable-next-line prefer-const -- read lazily by the app's next-hop client
    let sidecar: Sidecar | undefined;
    const app =
      kind === "grpc"
        ? await startEchoGrpc({
            name: service,
            version,
            // The next hop is dialled through this instance's own sidecar outbound (set below).
            ...(next !== undefined
              ? {
                  next: { address: () => `127.0.0.1:${String(sidecar?.outboundPort ?? 1)}`, authority: next },
                }
              : {}),
          })
        : await startEchoHttp({ name: service, version });
    const hooks = this.hooks?.();
    sidecar = await startSidecar({
      pod,
      namespace: "default",
      service,
      labels: { app: service, version },
      servicePort: 50051,
      appAddress: app.address,
      snapshots: EMPTY_SOURCE,
      routingView: this.routing,
      ...(hooks !== undefined ? { hooks } : {}),
    });
    const inst = { service, version, app, sidecar };
    this.instances.push(inst);
    this.routing.endpoints.push({
      service,
      address: `127.0.0.1:${sidecar.inboundPort}`,
      labels: { app: service, version },
      healthy: true,
    });
    return inst;
  }

  /** Stops everything. */
  async close(): Promise<void> {
    await Promise.all(
      this.instances.map(async (i) => {
        await i.sidecar.close();
        await i.app.close();
      }),
    );
  }
}
