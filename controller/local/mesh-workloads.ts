/**
 * The Workloads port over the local mesh's runtime: a version's "Deployment" is the set of
 * its running instances. Desired counts are kept here; ready means running and not stopping.
 * Every call is idempotent. Scaling down stops instances gracefully (endpoint removal lags,
 * GOAWAY, in-flight requests finish), and each scale-down to zero is recorded with its time,
 * so the demo can compare the removal with the version's last served request (G3).
 */
import type { MeshHandle } from "../../istio/local-mesh/runtime/mesh-runtime.js";
import type { ServiceRef, Workloads } from "../ports/workloads.js";
import { PermanentError } from "../reconciler/execute.js";

/** When a version was scaled to zero. */
export interface Removal {
  readonly service: string;
  readonly version: string;
  /** When the scale-down was requested. */
  readonly requestedAt: number;
  /** When the last instance had stopped. */
  readonly stoppedAt: number;
  /** The latest `lastServedAt` of the stopped instances (their own measurement), or null. */
  readonly lastServedAt: number | null;
}

/** Workloads backed by the local mesh runtime. */
export class MeshWorkloads implements Workloads {
  private readonly desired = new Map<string, number>();
  private readonly removalLog: Removal[] = [];

  constructor(
    private readonly mesh: Pick<MeshHandle, "instances" | "startInstance" | "stopInstance" | "topology">,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Every scale-down to zero so far. */
  removals(): readonly Removal[] {
    return this.removalLog;
  }

  async ensureVersion(
    request: ServiceRef & {
      readonly version: string;
      readonly fromVersion: string;
      readonly image?: string;
      readonly replicas: number;
    },
  ): Promise<void> {
    // The local runtime starts a version's own build; an image reference has no meaning here.
    await this.scaleVersion(request, request.version, request.replicas);
  }

  async scaleVersion(ref: ServiceRef, version: string, replicas: number): Promise<void> {
    this.ownNamespace(ref);
    const { service } = ref;
    this.desired.set(key(service, version), replicas);
    const running = this.running(service, version);
    for (let i = running.length; i < replicas; i++) await this.mesh.startInstance(service, version);
    const extra = running.slice(replicas);
    if (extra.length === 0) return;
    const requestedAt = this.clock();
    const lastServedAt = await this.stopAll(extra.map((i) => i.pod));
    if (replicas === 0)
      this.removalLog.push({ service, version, requestedAt, stoppedAt: this.clock(), lastServedAt });
  }

  deleteVersion(ref: ServiceRef, version: string): Promise<void> {
    return this.scaleVersion(ref, version, 0);
  }

  versions(ref: ServiceRef): Promise<readonly { version: string; desired: number; ready: number }[]> {
    if (ref.namespace !== this.mesh.topology.namespace) return Promise.resolve([]);
    const { service } = ref;
    const ready = new Map<string, number>();
    for (const inst of this.mesh.instances()) {
      if (inst.service !== service) continue;
      ready.set(inst.version, (ready.get(inst.version) ?? 0) + (inst.state === "running" ? 1 : 0));
    }
    for (const k of this.desired.keys()) {
      const [svc, version] = k.split("@") as [string, string];
      if (svc === service && !ready.has(version)) ready.set(version, 0);
    }
    return Promise.resolve(
      [...ready].map(([version, count]) => ({
        version,
        // Versions the controller never scaled keep the size they were started with.
        desired: this.desired.get(key(service, version)) ?? count,
        ready: count,
      })),
    );
  }

  /** The local mesh runs one namespace; a write for another could never take effect. */
  private ownNamespace(ref: ServiceRef): void {
    const ns = this.mesh.topology.namespace;
    if (ref.namespace !== ns) {
      throw new PermanentError(
        `service ${ref.namespace}/${ref.service}: the local mesh runs namespace "${ns}" only`,
      );
    }
  }

  private running(service: string, version: string) {
    return this.mesh
      .instances()
      .filter((i) => i.service === service && i.version === version && i.state === "running");
  }

  /**
   * Stops pods and returns the latest time any of them served an application request, sampled
   * until each pod is gone (the runtime forgets a pod once it has stopped).
   */
  private async stopAll(pods: readonly string[]): Promise<number | null> {
    let last: number | null = null;
    const sample = (): void => {
      for (const inst of this.mesh.instances()) {
        if (pods.includes(inst.pod) && inst.lastServedAt !== null)
          last = Math.max(last ?? 0, inst.lastServedAt);
      }
    };
    sample();
    const timer = setInterval(sample, 10);
    try {
      await Promise.all(pods.map((pod) => this.mesh.stopInstance(pod)));
    } finally {
      clearInterval(timer);
    }
    return last;
  }
}

function key(service: string, version: string): string {
  return `${service}@${version}`;
}
