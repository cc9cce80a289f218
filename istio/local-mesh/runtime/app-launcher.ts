import type { Logger } from "pino";
import { launchService } from "../../../sample-services/launch.js";
import { SERVICE_NAMES, type ServiceName } from "../../../sample-services/names.js";
import type { SampleStore } from "../../../sample-services/store/sample-store.js";
import { startEchoGrpc, startEchoHttp } from "./echo-app/echo-services.js";
import type { ServiceSpec } from "./topology.js";

/** A running application (the app container of a pod). */
export interface RunningApp {
  /** `127.0.0.1:<port>` */
  readonly address: string;
  /** Epoch ms of the last application request start or end, or null. */
  lastServedAt(): number | null;
  inFlight(): number;
  stop(): Promise<void>;
}

/** What launching an app needs besides its spec. */
export interface AppDeps {
  readonly sampleStore: SampleStore;
  readonly logger: Logger;
  readonly enrolmentHeader: string;
}

function isSampleName(name: string): name is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(name);
}

/**
 * Starts the app of one instance; every upstream it calls is dialled at `outbound` (its own
 * sidecar's outbound listener), with `:authority` naming the upstream service.
 */
export async function launchApp(
  spec: ServiceSpec,
  version: string,
  outbound: string,
  deps: AppDeps,
): Promise<RunningApp> {
  switch (spec.app) {
    case "sample": {
      if (!isSampleName(spec.name)) {
        throw new Error(`cannot launch sample app ${spec.name}: not one of ${SERVICE_NAMES.join(", ")}`);
      }
      const faults = spec.versions.find((v) => v.name === version)?.faults;
      const upstreams: Partial<Record<ServiceName, string>> = {};
      for (const u of spec.upstreams) if (isSampleName(u)) upstreams[u] = outbound;
      const s = await launchService({
        name: spec.name,
        version,
        store: deps.sampleStore,
        upstreams,
        logger: deps.logger,
        enrolmentHeader: deps.enrolmentHeader,
        drainTimeoutMs: 5_000,
        ...(faults !== undefined ? { faults } : {}),
      });
      return {
        address: s.address,
        lastServedAt: () => s.lastServedAt(),
        inFlight: () => s.inFlight(),
        stop: () => s.stop(),
      };
    }
    case "echo-grpc": {
      const next = spec.upstreams[0];
      const s = await startEchoGrpc({
        name: spec.name,
        version,
        ...(next !== undefined ? { next: { address: () => outbound, authority: next } } : {}),
      });
      return {
        address: s.address,
        lastServedAt: () => s.lastServedAt(),
        inFlight: () => s.inFlight(),
        stop: () => s.close(),
      };
    }
    case "echo-http": {
      const s = await startEchoHttp({ name: spec.name, version });
      return {
        address: s.address,
        lastServedAt: () => s.lastServedAt(),
        inFlight: () => s.inFlight(),
        stop: () => s.close(),
      };
    }
  }
}
