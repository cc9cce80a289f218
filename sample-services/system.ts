import type { Logger } from "pino";
import { launchService, type RunningService, type ServiceLaunchOptions } from "./launch.js";
import type { ServiceName } from "./names.js";
import type { SampleStore } from "./store/sample-store.js";

/** Options of a whole sample system on loopback, with direct addresses (no mesh). */
export interface SampleSystemOptions {
  readonly store: SampleStore;
  /** Version per service (default `v1` for each). */
  readonly versions?: Partial<Record<ServiceName, string>>;
  readonly logger?: Logger;
  /** Extra launch options for logistics-api (e.g. `methodUpstreams`, `faults`). */
  readonly api?: Partial<Omit<ServiceLaunchOptions, "name" | "store" | "upstreams">>;
  readonly enrolmentHeader?: string;
}

/** A running sample system. */
export interface SampleSystem {
  /** `http://127.0.0.1:<port>` of logistics-api. */
  readonly baseUrl: string;
  readonly services: Readonly<Record<ServiceName, RunningService>>;
  /** Stops logistics-api first, then the gRPC services (the store is the caller's). */
  stop(): Promise<void>;
}

/**
 * Starts all five services in this process, each dialing the others directly: leaves first
 * (item, station, auth), then order-service, then logistics-api.
 */
export async function startSampleSystem(opts: SampleSystemOptions): Promise<SampleSystem> {
  const v = (name: ServiceName): string => opts.versions?.[name] ?? "v1";
  const base = {
    store: opts.store,
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.enrolmentHeader ? { enrolmentHeader: opts.enrolmentHeader } : {}),
  };
  const started: RunningService[] = [];
  try {
    const launch = async (o: ServiceLaunchOptions): Promise<RunningService> => {
      const s = await launchService(o);
      started.push(s);
      return s;
    };
    const item = await launch({ ...base, name: "item-service", version: v("item-service"), upstreams: {} });
    const station = await launch({
      ...base,
      name: "station-service",
      version: v("station-service"),
      upstreams: {},
    });
    const auth = await launch({ ...base, name: "auth-service", version: v("auth-service"), upstreams: {} });
    const order = await launch({
      ...base,
      name: "order-service",
      version: v("order-service"),
      upstreams: { "item-service": item.address, "station-service": station.address },
    });
    const api = await launch({
      ...base,
      ...opts.api,
      name: "logistics-api",
      version: v("logistics-api"),
      upstreams: {
        "auth-service": auth.address,
        "order-service": order.address,
        "item-service": item.address,
        "station-service": station.address,
      },
    });
    return {
      baseUrl: `http://${api.address}`,
      services: {
        "logistics-api": api,
        "auth-service": auth,
        "order-service": order,
        "item-service": item,
        "station-service": station,
      },
      stop: async () => {
        for (const s of [...started].reverse()) await s.stop();
      },
    };
  } catch (err) {
    for (const s of started.reverse()) await s.stop();
    throw err;
  }
}
