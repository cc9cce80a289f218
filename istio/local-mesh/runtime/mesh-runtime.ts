import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { pino, type Logger } from "pino";
import { MemorySampleStore } from "../../../sample-services/store/memory-store.js";
import { RedisSampleStore } from "../../../sample-services/store/redis-store.js";
import type { SampleStore } from "../../../sample-services/store/sample-store.js";
import { seedSampleData } from "../../../sample-services/store/seed.js";
import { makeConfig, type TraceManagerConfig } from "../../../trace-manager/config.js";
import { loadEnvoyProtos } from "../../../trace-manager/proto/load.js";
import { startTraceManager, type RunningTraceManager } from "../../../trace-manager/start.js";
import { MemoryTraceStore } from "../../../trace-manager/store/memory.js";
import type { TraceStore } from "../../../trace-manager/store/port.js";
import { RedisTraceStore } from "../../../trace-manager/store/redis.js";
import { createConfigStore } from "../control-plane/config-store.js";
import { ProxyConfigHolder } from "../control-plane/proxy-config.js";
import { createPushScheduler } from "../control-plane/push-scheduler.js";
import type { ConfigStore, DelayDistribution, DelayRange, PushScheduler } from "../control-plane/types.js";
import { snapshotSourceOf } from "../proxies/holder-source.js";
import { startIngressGateway, type IngressGateway } from "../proxies/ingress-gateway.js";
import type { AlsOptions } from "../proxies/als-client.js";
import { defaultRouting } from "./default-routing.js";
import { MeshInstance, type EndpointsSource, type InstanceDeps, type InstanceInfo } from "./instance.js";
import type { Topology } from "./topology.js";

/** Defaults of the in-process runtime that differ from a sidecar's own (see ADR 0027). */
export const RuntimeDefaults = { checkTimeoutMs: 250 } as const;

/** Options of `startMesh`. */
export interface MeshOptions {
  /** `redis://…` for the Redis trace and sample stores; in-memory stores by default. */
  readonly storeUrl?: string;
  /** Per-proxy push delay (default uniform 50–500 ms). */
  readonly pushDelay?: DelayDistribution;
  /** Named proxies (pod names, or `ingress`) that lag far behind. */
  readonly laggards?: Readonly<Record<string, DelayDistribution>>;
  /** Admin → routing lag inside each proxy (default 20–100 ms). */
  readonly workerLag?: DelayRange;
  /**
   * ext_authz timeout (default 250 ms: every proxy, TraceManager and app of the mesh shares one
   * event loop here, so Envoy's usual 50 ms would time event-loop stalls, not the TraceManager).
   */
  readonly checkTimeoutMs?: number;
  /** ALS buffers per proxy, flush interval and size (default 2, 1 s, 16 KiB). */
  readonly als?: Partial<Pick<AlsOptions, "workers" | "flushIntervalMs" | "flushBytes">>;
  /** Enrolment header (default `x-tranquil-release`). */
  readonly enrolmentHeader?: string;
  /** Ingress listener port (default: a free one). */
  readonly ingressPort?: number;
  /** Gateway ext_authz route-cache clearing (default true). */
  readonly clearRouteCache?: boolean;
  /** TraceManager settings beyond identity and addresses (heartbeat, budgets). */
  readonly traceManager?: Partial<TraceManagerConfig>;
  /** preStop-like wait between endpoint removal and closing a terminating pod's listeners (default 0). */
  readonly terminationDrainMs?: number;
  /**
   * Who writes the endpoints (default `instances`: each instance registers its own). With
   * `external` no instance ever writes its endpoint: the API server source mirrors them from
   * the cluster's EndpointSlices, and a terminating pod only waits `terminationDrainMs`.
   */
  readonly endpoints?: EndpointsSource;
  /**
   * Where the VirtualServices and DestinationRules come from (default `topology`: the store is
   * seeded with the topology's default routes). With `external` the store starts empty and
   * the API server source fills it.
   */
  readonly routes?: "topology" | "external";
  /** The process logger (default: pino at `info`). */
  readonly logger?: Logger;
  /** Randomness of the push delays and weighted routing (default Math.random). */
  readonly random?: () => number;
}

/** Options of one instance: its identity and what runs beside its sidecar. */
export interface StartInstanceOptions {
  /**
   * The pod name (a Kubernetes pod's, say): what the sidecar and the TraceManager report as.
   * Default `<service>-<version>-<6 hex digits>`.
   */
  readonly pod?: string;
  /** Start a TraceManager beside the sidecar (default true). */
  readonly traceManager?: boolean;
}

// A pod name as Kubernetes accepts it (a DNS-1123 subdomain).
const POD_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A running local mesh. */
export interface MeshHandle {
  readonly topology: Topology;
  /** `http://127.0.0.1:<port>` of the ingress gateway. */
  readonly ingressUrl: string;
  /** Envoy admin base URL of the ingress gateway. */
  readonly ingressAdminUrl: string;
  /** The ingress gateway's TraceManager admin (/metrics, /healthz) port. */
  readonly ingressTraceManagerAdminPort: number;
  /** The ingress gateway's pod name (what its TraceManager reports as). */
  readonly gatewayPod: string;
  /** VirtualServices, DestinationRules and endpoints (what the controller's RouteTable writes). */
  readonly configStore: ConfigStore;
  readonly scheduler: PushScheduler;
  /** The store every TraceManager writes to (what the controller's Observations read). */
  readonly traceStore: TraceStore;
  readonly sampleStore: SampleStore;
  /** Directory holding every Unix socket of this mesh. */
  readonly socketDir: string;
  /**
   * Starts one more instance of `service@version`; resolves once it serves and, with
   * `instances` endpoints, once its endpoint is in the store.
   */
  startInstance(service: string, version: string, options?: StartInstanceOptions): Promise<InstanceInfo>;
  /** Gracefully terminates a pod (endpoint removal lags; GOAWAY; in-flight requests finish). */
  stopInstance(pod: string): Promise<void>;
  /** Every running (or terminating) instance. */
  instances(): InstanceInfo[];
  /** Stops everything: ingress, instances, TraceManagers, stores, the socket directory. */
  stop(): Promise<void>;
}

/** Services in waves: each wave holds the services no remaining service calls (callers first). */
export function stopWaves(t: Topology): string[][] {
  const left = new Set(t.services.map((s) => s.name));
  const waves: string[][] = [];
  while (left.size > 0) {
    const called = new Set(t.services.filter((s) => left.has(s.name)).flatMap((s) => s.upstreams));
    let wave = [...left].filter((n) => !called.has(n));
    // A call cycle: stop the rest together.
    if (wave.length === 0) wave = [...left];
    for (const n of wave) left.delete(n);
    waves.push(wave);
  }
  return waves;
}

/** Waits until every proxy was delivered `epoch` or later (or `timeoutMs` passed). */
async function converged(
  scheduler: PushScheduler,
  proxies: readonly string[],
  epoch: number,
  timeoutMs: number,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (proxies.some((p) => (scheduler.deliveredEpoch(p) ?? -1) < epoch) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
  }
}

function podName(service: string, version: string): string {
  return `${service}-${version}-${randomBytes(3).toString("hex")}`;
}

/**
 * Starts the whole local mesh in this process: config store (seeded with the topology's default
 * routes unless `routes` is `external`) and push scheduler; per instance an app, its sidecar and
 * its TraceManager (sidecar role; a pod may run without one); the ingress gateway with its
 * TraceManager (gateway role). Every address is on 127.0.0.1 with a free port; every Unix
 * socket sits under one temp directory.
 */
export async function startMesh(topology: Topology, options: MeshOptions = {}): Promise<MeshHandle> {
  const logger = options.logger ?? pino({ name: "tranquil-mesh" });
  const socketDir = await mkdtemp(join(tmpdir(), "tranquil-mesh-"));
  const redisUrl = options.storeUrl;
  const traceStore: TraceStore =
    redisUrl !== undefined ? new RedisTraceStore({ redis: redisUrl }) : new MemoryTraceStore();
  const sampleStore: SampleStore =
    redisUrl !== undefined ? new RedisSampleStore(new Redis(redisUrl), {}, true) : new MemorySampleStore();
  await seedSampleData(sampleStore);
  const configStore = createConfigStore();
  if (options.routes !== "external") {
    const routing = defaultRouting(topology);
    for (const dr of routing.destinationRules) configStore.create(dr);
    for (const vs of routing.virtualServices) configStore.create(vs);
    for (const gw of routing.gateways) configStore.create(gw);
  }
  const scheduler = createPushScheduler({
    store: configStore,
    ...(options.pushDelay !== undefined ? { delay: options.pushDelay } : {}),
    ...(options.laggards !== undefined ? { laggards: options.laggards } : {}),
    ...(options.random !== undefined ? { random: options.random } : {}),
    onDeliverError: (proxyId, err) => logger.error({ err, proxyId }, "proxy rejected a config push"),
  });
  const protos = loadEnvoyProtos();
  const enrolmentHeader = options.enrolmentHeader ?? "x-tranquil-release";
  const hooks = {
    checkTimeoutMs: options.checkTimeoutMs ?? RuntimeDefaults.checkTimeoutMs,
    ...(options.als !== undefined ? { als: options.als } : {}),
    headersToLog: ["x-request-id", enrolmentHeader, "x-b3-traceid"],
  };
  const deps: InstanceDeps = {
    namespace: topology.namespace,
    socketDir,
    configStore,
    scheduler,
    traceStore,
    sampleStore,
    protos,
    logger,
    enrolmentHeader,
    hooks,
    ...(options.workerLag !== undefined ? { workerLag: options.workerLag } : {}),
    ...(options.traceManager !== undefined ? { traceManager: options.traceManager } : {}),
    terminationDrainMs: options.terminationDrainMs ?? 0,
    endpoints: options.endpoints ?? "instances",
    servicePorts: Object.fromEntries(topology.services.map((s) => [s.name, [s.port]])),
  };
  const pods = new Map<string, MeshInstance>();
  // Pod names whose instance is starting: a second start of the same name is refused.
  const starting = new Set<string>();
  let gateway: IngressGateway | undefined;
  let gatewayTm: RunningTraceManager | undefined;
  let gatewayHolder: ProxyConfigHolder | undefined;
  let unregisterGateway: (() => void) | undefined;

  const startInstance = async (
    service: string,
    version: string,
    instance: StartInstanceOptions = {},
  ): Promise<InstanceInfo> => {
    const spec = topology.services.find((s) => s.name === service);
    if (spec === undefined)
      throw new Error(
        `cannot start ${service}@${version}: no service ${JSON.stringify(service)} in the topology`,
      );
    if (!spec.versions.some((v) => v.name === version)) {
      throw new Error(
        `cannot start ${service}@${version}: the topology lists versions ${spec.versions.map((v) => v.name).join(", ")}`,
      );
    }
    const pod = instance.pod ?? podName(service, version);
    if (pod.length > 253 || !POD_NAME.test(pod))
      throw new Error(
        `cannot start ${service}@${version}: pod name ${JSON.stringify(pod)} is not a DNS-1123 subdomain`,
      );
    if (pods.has(pod) || starting.has(pod))
      throw new Error(`cannot start ${service}@${version}: pod ${pod} runs already`);
    starting.add(pod);
    try {
      const inst = await MeshInstance.start(spec, version, pod, deps, {
        traceManager: instance.traceManager ?? true,
      });
      pods.set(inst.pod, inst);
      return inst.info();
    } finally {
      starting.delete(pod);
    }
  };

  const stop = async (): Promise<void> => {
    await gateway?.drain();
    unregisterGateway?.();
    gatewayHolder?.close();
    await gatewayTm?.stop();
    await gateway?.close();
    // Callers before the services they call, so in-flight requests can still finish.
    for (const wave of stopWaves(topology)) {
      await Promise.all([...pods.values()].filter((p) => wave.includes(p.spec.name)).map((p) => p.stop()));
    }
    await Promise.all([...pods.values()].map((p) => p.stop()));
    pods.clear();
    scheduler.close();
    await traceStore.close();
    await sampleStore.close();
    await rm(socketDir, { recursive: true, force: true });
  };

  const gwPod = `ingressgateway-${randomBytes(3).toString("hex")}`;
  try {
    // Leaves first does not matter here: every app dials its own sidecar, which routes lazily.
    for (const s of topology.services)
      for (const v of s.versions) for (let i = 0; i < v.instances; i++) await startInstance(s.name, v.name);
    const gwSocket = join(socketDir, `${gwPod}.sock`);
    gatewayHolder = new ProxyConfigHolder(
      options.workerLag !== undefined ? { workerLag: options.workerLag } : {},
    );
    gateway = await startIngressGateway({
      namespace: topology.namespace,
      podName: gwPod,
      routePort: topology.gateway.port,
      snapshots: snapshotSourceOf(gatewayHolder),
      hooks: { socketPath: gwSocket, protos, ...hooks },
      clearRouteCache: options.clearRouteCache ?? true,
      logger: logger.child({ component: "ingress", pod: gwPod }),
      servicePorts: deps.servicePorts,
      ...(options.ingressPort !== undefined ? { port: options.ingressPort } : {}),
      ...(options.random !== undefined ? { random: options.random } : {}),
    });
    gatewayTm = await startTraceManager(
      makeConfig({
        enrolmentHeader,
        ...options.traceManager,
        role: "gateway",
        service: "ingressgateway",
        version: "gateway",
        pod: gwPod,
        socketPath: gwSocket,
        adminHost: "127.0.0.1",
        adminPort: 0,
        envoyAdminUrl: `http://127.0.0.1:${gateway.adminPort}`,
      }),
      { store: traceStore, logger: logger.child({ component: "trace-manager", pod: gwPod }) },
    );
    await gateway.warmUp(2_000);
    unregisterGateway = scheduler.register("ingress", gatewayHolder.deliver);
    // Ready once every proxy routes by the config holding every endpoint (as a rollout waits
    // for readiness): the first requests must not meet a proxy that knows no endpoint yet.
    await converged(scheduler, [...pods.keys(), "ingress"], configStore.epoch, 10_000);
    await new Promise((r) => setTimeout(r, options.workerLag?.maxMs ?? 100));
  } catch (cause) {
    await stop().catch(() => undefined);
    throw new Error("cannot start the local mesh", { cause });
  }
  const gw = gateway;
  const gwTm = gatewayTm;
  logger.info(
    { ingress: gw.url, pods: pods.size, socketDir, store: redisUrl === undefined ? "memory" : "redis" },
    "local mesh running",
  );
  return {
    topology,
    gatewayPod: gwPod,
    ingressUrl: gw.url,
    ingressAdminUrl: `http://127.0.0.1:${gw.adminPort}`,
    ingressTraceManagerAdminPort: gwTm?.adminPort ?? 0,
    configStore,
    scheduler,
    traceStore,
    sampleStore,
    socketDir,
    startInstance,
    stopInstance: async (pod) => {
      const inst = pods.get(pod);
      if (inst === undefined)
        throw new Error(`cannot stop pod ${pod}: no such instance (running: ${[...pods.keys()].join(", ")})`);
      await inst.stop();
      pods.delete(pod);
    },
    instances: () => [...pods.values()].map((p) => p.info()),
    stop,
  };
}
