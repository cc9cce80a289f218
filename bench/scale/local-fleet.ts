/**
 * A fleet of concurrent upgrades on the local backend, for the scale benchmark: `upgrades`
 * services, each with its VirtualService and DestinationRule in a real config store, one
 * Upgrade per service in the real upgrade store, and `transactions` active transactions
 * written into a real trace store through its write API (spread over the services' v1). The
 * trace store is the memory one or Redis (a server of its own on loopback). The
 * reconciler, engine, IstioRouter, TraceObserver and enrolment are the product's own; only the
 * data plane is absent: the workloads port is a table whose instances are ready at once, and
 * the inventory lists one sidecar per version that reports (heartbeat, watermark) every round.
 */
import { randomUUID } from "node:crypto";
import pino from "pino";
import { healthyFacts } from "../../controller/engine/testing/harness.js";
import { initialStatus } from "../../controller/engine/status.js";
import type { UpgradeSpec } from "../../controller/engine/types.js";
import { IstioRouter } from "../../controller/istio/istio-router.js";
import { ConfigStoreRouteTable } from "../../controller/local/config-store-route-table.js";
import { FileUpgradeStore } from "../../controller/local/file-upgrade-store.js";
import { TraceObserver } from "../../controller/observe/trace-observer.js";
import { TraceStoreEnrolment } from "../../controller/observe/trace-enrolment.js";
import type { Backend, Inventory, ProxyEntry, UpgradeKey, Workloads } from "../../controller/ports/index.js";
import { Reconciler } from "../../controller/reconciler/reconciler.js";
import { DEFAULT_SETTINGS } from "../../controller/engine/types.js";
import { versionSubsets, virtualService } from "../../istio/api/builders.js";
import { createConfigStore } from "../../istio/local-mesh/control-plane/config-store.js";
import type { ConfigStore } from "../../istio/local-mesh/control-plane/types.js";
import { MemoryTraceStore } from "../../trace-manager/store/memory.js";
import type { EnvoyFigures, TraceStore, TxnId } from "../../trace-manager/store/port.js";
import { RedisTraceStore } from "../../trace-manager/store/redis.js";
import { startTestRedis } from "../../test/support/redis-server.js";
import { timed, type PortTimings } from "./port-timing.js";

const NAMESPACE = "default";

/** The one ingress gateway pod: it applies every upgrade's weight and routes at once. */
const GATEWAY: ProxyEntry = {
  pod: "ingressgateway-0",
  role: "gateway",
  service: "ingressgateway",
  version: "gateway",
  traceManager: true,
  terminating: false,
};

/** The name of the i-th service of the fleet. */
export function serviceName(i: number): string {
  return `svc-${String(i).padStart(3, "0")}`;
}

/** Versions of each service with ready-at-once instances (no data plane). */
export class TableWorkloads implements Workloads {
  private readonly table = new Map<string, Map<string, number>>();

  /** `started` is called when a version goes from no instance to some (its pod starts). */
  constructor(
    services: readonly string[],
    private readonly started: (service: string, version: string) => Promise<void> = () => Promise.resolve(),
  ) {
    for (const s of services) this.table.set(s, new Map([["v1", 1]]));
  }

  private async set(service: string, version: string, replicas: number): Promise<void> {
    const m = this.of(service);
    const before = m.get(version) ?? 0;
    m.set(version, replicas);
    if (before === 0 && replicas > 0) await this.started(service, version);
  }

  private of(service: string): Map<string, number> {
    let m = this.table.get(service);
    if (m === undefined) this.table.set(service, (m = new Map()));
    return m;
  }

  /** Creates (or keeps) the version with its replicas. */
  async ensureVersion(r: { service: string; version: string; replicas: number }): Promise<void> {
    if (!this.of(r.service).has(r.version)) await this.set(r.service, r.version, r.replicas);
  }

  /** Scales the version. */
  scaleVersion(ref: { service: string }, version: string, replicas: number): Promise<void> {
    return this.set(ref.service, version, replicas);
  }

  /** Removes the version. */
  deleteVersion(ref: { service: string }, version: string): Promise<void> {
    this.of(ref.service).delete(version);
    return Promise.resolve();
  }

  /** Versions with desired = ready. */
  versions(ref: {
    service: string;
  }): Promise<readonly { version: string; desired: number; ready: number }[]> {
    return Promise.resolve(
      [...this.of(ref.service)].map(([version, n]) => ({ version, desired: n, ready: n })),
    );
  }

  /** One sidecar entry per running version of every service. */
  proxies(): ProxyEntry[] {
    const out: ProxyEntry[] = [];
    for (const [service, versions] of this.table)
      for (const [version, n] of versions)
        if (n > 0)
          out.push({
            pod: `${service}-${version}-0`,
            role: "sidecar",
            service,
            version,
            traceManager: true,
            terminating: false,
          });
    return out;
  }
}

/** A sidecar's Envoy figures: a healthy endpoint for every running version of its service. */
function envoyFigures(service: string, workloads: TableWorkloads, now: number): EnvoyFigures {
  const healthyEndpoints: Record<string, number> = {};
  for (const p of workloads.proxies())
    if (p.service === service)
      healthyEndpoints[`outbound|80|${p.version ?? ""}|${service}.${NAMESPACE}.svc.cluster.local`] = 1;
  return {
    readAt: now,
    extAuthz: { ok: 0, error: 0, denied: 0, failureModeAllowed: 0 },
    accessLogs: { written: 0, dropped: 0 },
    downstreamRqActive: 0,
    upstream: {},
    healthyEndpoints,
  };
}

/** A running fleet and what it measures. */
export interface Fleet {
  readonly keys: readonly UpgradeKey[];
  readonly reconciler: Reconciler;
  readonly timings: PortTimings;
  readonly traceStore: TraceStore;
  readonly configStore: ConfigStore;
  readonly upgradeStore: FileUpgradeStore;
  /** Reconcile errors the reconciler logged. */
  errors(): number;
  /**
   * Advances the virtual clock by one second, and every sidecar reports (what its TraceManager
   * would do): a fresh heartbeat and watermark, every upgrade's last epoch confirmed, and a
   * healthy endpoint of every running version of its service.
   */
  heartbeat(): Promise<void>;
  /** The phase of every upgrade, counted. */
  phases(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

function seedConfig(store: ConfigStore, services: readonly string[]): void {
  for (const s of services) {
    store.create(
      virtualService(s, {
        hosts: [s],
        http: [{ name: "main", route: [{ destination: { host: s, subset: "v1" } }] }],
      }),
    );
    store.create(versionSubsets(s, ["v1"]));
  }
}

async function seedTransactions(
  store: TraceStore,
  services: readonly string[],
  n: number,
  now: number,
): Promise<void> {
  const batch = [];
  for (let i = 0; i < n; i += 1) {
    const service = services[i % services.length] ?? "";
    batch.push({
      txn: randomUUID() as TxnId,
      service,
      version: "v1",
      pod: `${service}-v1-0`,
      at: now - (i % 5000),
    });
    if (batch.length === 500) await store.recordCallStarts(batch.splice(0));
  }
  if (batch.length > 0) await store.recordCallStarts(batch);
}

/** Which trace store the fleet reads: in process, or a Redis server of its own on loopback. */
export type FleetStore = "memory" | "redis";

async function openTraceStore(
  kind: FleetStore,
  clock: () => number,
): Promise<{ store: TraceStore; stop: () => Promise<void> }> {
  const maxTransactionAgeMs = 3_600_000;
  if (kind === "memory") {
    const store = new MemoryTraceStore({ maxTransactionAgeMs, clock });
    return { store, stop: () => store.close() };
  }
  const redis = await startTestRedis();
  const store = new RedisTraceStore({ redis: redis.url, keyPrefix: "scale", maxTransactionAgeMs, clock });
  return {
    store,
    stop: async () => {
      await store.close().catch(() => undefined);
      await redis.stop();
    },
  };
}

/** Starts a fleet of `upgrades` upgrades (one service each) with `transactions` active. */
export async function startFleet(
  upgrades: number,
  transactions: number,
  storeKind: FleetStore = "memory",
): Promise<Fleet> {
  // Virtual time: one second per round, so the engine's waits (settle, step interval) elapse.
  let now = Date.now();
  const clock = (): number => now;
  const services = Array.from({ length: upgrades }, (_, i) => serviceName(i));
  const configStore = createConfigStore({ istiodWebhook: false });
  seedConfig(configStore, services);
  const opened = await openTraceStore(storeKind, clock);
  const traceStore = opened.store;
  await seedTransactions(traceStore, services, transactions, now);
  const workloads: TableWorkloads = new TableWorkloads(services, (service, version) =>
    reportSidecar({ pod: `${service}-${version}-0`, service, version }),
  );
  const inventory: Inventory = {
    proxies: () => Promise.resolve([GATEWAY, ...workloads.proxies()]),
    gateways: () => Promise.resolve([]),
  };
  const timings: PortTimings = new Map();
  const router = new IstioRouter({
    table: new ConfigStoreRouteTable(configStore),
    enrolmentHeader: DEFAULT_SETTINGS.enrolmentHeader,
  });
  // The observer's reads are timed as one query, and each port it reads apart (they overlap).
  const observer = new TraceObserver({
    traceStore: timed(traceStore, "query:traceStore", timings),
    workloads: timed(workloads, "query:workloads", timings),
    router: timed(router, "query:router", timings),
    inventory: timed(inventory, "query:inventory", timings),
    validationFacts: (u) => Promise.resolve(healthyFacts(u.spec.services.map((s) => s.name))),
  });
  const backend: Backend = {
    router: timed(router, "router", timings),
    workloads: timed(workloads, "workloads", timings),
    observer: timed(observer, "observer", timings),
    enrolment: timed(new TraceStoreEnrolment(traceStore, clock), "enrolment", timings),
    events: { record: () => Promise.resolve() },
  };
  let errors = 0;
  const logger = pino({ level: "error" }, { write: () => void (errors += 1) });
  const upgradeStore = await FileUpgradeStore.open({ clock });
  const keys: UpgradeKey[] = [];
  for (const service of services) {
    const spec: UpgradeSpec = {
      services: [{ name: service, from: "v1", to: "v2" }],
      strategy: { steps: [10, 50, 100], stepInterval: "1s" },
    };
    const key = { namespace: NAMESPACE, name: `up-${service}` };
    await upgradeStore.create({ ...key, spec, status: initialStatus(now), createdAt: now });
    keys.push(key);
  }
  const reconciler = new Reconciler({
    store: timed(upgradeStore, "upgradeStore", timings),
    backend,
    logger,
    clock,
  });
  // Every proxy holds every service's routes: each confirms every upgrade at its last epoch.
  async function currentEpochs(): Promise<Record<string, number>> {
    const epochs: Record<string, number> = {};
    for (const r of await upgradeStore.list()) epochs[r.id] = r.status.configEpoch;
    return epochs;
  }
  async function reportSidecar(
    p: { pod: string; service: string; version: string },
    epochs?: Record<string, number>,
  ): Promise<void> {
    await traceStore.reportPod({
      ...p,
      role: "sidecar",
      heartbeatAt: now,
      watermark: now,
      dirty: false,
      dirtyReasons: [],
      weightVersions: {},
      epochs: epochs ?? (await currentEpochs()),
      envoy: envoyFigures(p.service, workloads, now),
    });
  }
  const heartbeat = async (): Promise<void> => {
    now += 1000;
    const epochs = await currentEpochs();
    const weightVersions: Record<string, number> = {};
    for (const u of await traceStore.listUpgrades()) weightVersions[u.id] = u.weightVersion;
    await traceStore.reportPod({
      pod: GATEWAY.pod,
      role: "gateway",
      service: GATEWAY.service ?? "",
      version: GATEWAY.version ?? "",
      heartbeatAt: now,
      watermark: now,
      dirty: false,
      dirtyReasons: [],
      weightVersions,
      epochs,
    });
    for (const p of workloads.proxies())
      await reportSidecar({ pod: p.pod, service: p.service ?? "", version: p.version ?? "" }, epochs);
  };
  return {
    keys,
    reconciler,
    timings,
    traceStore,
    configStore,
    upgradeStore,
    errors: () => errors,
    heartbeat,
    phases: async () => {
      const counts: Record<string, number> = {};
      for (const r of await upgradeStore.list()) counts[r.status.phase] = (counts[r.status.phase] ?? 0) + 1;
      return counts;
    },
    close: async () => {
      await reconciler.stop();
      await upgradeStore.close();
      await opened.stop();
    },
  };
}
