/**
 * The simulated mesh: pods and Deployments, each pod's proxy (config pushes with per-proxy
 * long-tailed delays, a far-lagging proxy, worker lag after the admin view, lagging endpoint
 * updates) and each pod's TraceManager (trace-manager.ts), plus TraceManager outages.
 * Everything runs on the event queue in virtual time.
 */
import { createEventQueue, type EventQueue } from "../event-queue.js";
import { createPrng, type Prng } from "../prng.js";
import type { Outage, SimScenario, TailDelay } from "../scenario.js";
import { createConfigStore, type ConfigStore, type MeshConfig } from "./config-store.js";
import { createGroundTruth, type GroundTruth } from "./ground-truth.js";
import { initialConfig } from "./initial-config.js";
import { createProxyViews } from "./proxy-views.js";
import { startTraceManager, type TraceManagerContext } from "./trace-manager.js";
import { createTraceStore, type TraceStore } from "./trace-store.js";
import { BYPASS_SERVICE, deploymentKey, ENTRY_SERVICE, type Deployment, type Pod } from "./types.js";

export { BYPASS_SERVICE, ENTRY_SERVICE, deploymentKey } from "./types.js";

/** The world and the operations a controller may perform on it. */
export interface World {
  readonly scenario: SimScenario;
  readonly queue: EventQueue;
  readonly prng: Prng;
  readonly config: ConfigStore;
  readonly store: TraceStore;
  readonly truth: GroundTruth;
  /** Every pod ever created, in creation order. */
  readonly pods: Pod[];
  readonly gateways: Pod[];
  readonly deployments: Map<string, Deployment>;
  /** Ground truth: ids of calls in flight (Envoy's own counters). */
  readonly inFlight: Set<number>;
  /** Ground truth: ingress transactions in flight (the gateways' Envoy counters). */
  readonly inFlightTxns: Set<string>;
  /** Creates the Deployment if missing (with `replicas`); false when it exists. */
  ensureDeployment(service: string, version: string, replicas: number): boolean;
  /** Scales a Deployment; false when it already has `replicas` (or does not exist and replicas is 0). */
  scale(service: string, version: string, replicas: number): boolean;
  /** Deletes a Deployment (its pods terminate); false when absent. */
  deleteDeployment(service: string, version: string): boolean;
  /** Publishes the enrolment weight; false when this version is already published. */
  publishWeight(weight: number, weightVersion: number): boolean;
  /** Marks a TraceManager dirty (a late or dropped record, a fail-open check). */
  markDirty(pod: Pod, reason: string): void;
  /** Draws a delay from a tail distribution. */
  draw(d: TailDelay): number;
  /** Proxies that are alive (their pod is not gone). */
  liveProxies(): Pod[];
}

/** Builds the world at virtual time 0: old versions Ready everywhere, proxies in sync. */
export function createWorld(s: SimScenario): World {
  const queue = createEventQueue(0);
  const prng = createPrng(s.seed);
  const config = createConfigStore(initialConfig(s));
  const store = createTraceStore();
  const truth = createGroundTruth();
  const pods: Pod[] = [];
  const gateways: Pod[] = [];
  const deployments = new Map<string, Deployment>();
  const inFlight = new Set<number>();
  const inFlightTxn = new Set<string>();
  /** Pods the control plane publishes as endpoints (Ready, not terminating). */
  const published = new Set<Pod>();
  const trainServices = new Set(s.services);
  let podSeq = 0;
  let laggardAssigned = s.laggardExtraMs <= 0;

  const draw = (d: TailDelay): number => prng.longTail(d.base, d.scale, d.alpha, d.cap);
  const live = (): Pod[] => pods.filter((p) => p.state !== "gone");

  const markDirty = (pod: Pod, reason: string): void => {
    const tm = pod.tm;
    if (!tm.dirty) {
      tm.dirty = true;
      tm.dirtySince = queue.now;
      tm.dirtyInterval = { from: queue.now, to: Number.POSITIVE_INFINITY };
      truth.dirtyIntervals.push(tm.dirtyInterval);
    }
    if (!tm.dirtyReasons.includes(reason)) tm.dirtyReasons.push(reason);
  };

  const closeDirty = (pod: Pod): void => {
    pod.tm.dirty = false;
    pod.tm.dirtyReasons = [];
    if (pod.tm.dirtyInterval !== null) pod.tm.dirtyInterval.to = queue.now;
    pod.tm.dirtyInterval = null;
  };

  const checkOldUnlisted = (): void => {
    if (truth.oldRemovalStartedAt === null || truth.oldUnlistedAt !== null) return;
    for (const p of pods) {
      if (!trainServices.has(p.service) || p.version !== s.oldVersion) continue;
      if (p.state === "ready" || p.state === "starting") return;
    }
    for (const proxyPod of live()) {
      for (const ep of proxyPod.proxy.endpoints) {
        if (trainServices.has(ep.service) && ep.version === s.oldVersion) return;
      }
    }
    truth.oldUnlistedAt = queue.now;
  };

  /** Schedules an EDS change at every live proxy, in order per proxy. */
  const propagateEndpoint = (pod: Pod, add: boolean): void => {
    if (add) published.add(pod);
    else published.delete(pod);
    for (const proxyPod of live()) {
      const at = queue.now + draw(s.endpointLag);
      queue.at(at, () => {
        if (add) {
          if (pod.state === "ready") proxyPod.proxy.endpoints.add(pod);
        } else {
          proxyPod.proxy.endpoints.delete(pod);
          checkOldUnlisted();
        }
      });
    }
  };

  const schedulePush = (pod: Pod, version: number): void => {
    const proxy = pod.proxy;
    const delay = draw(s.push) + (proxy.laggard ? s.laggardExtraMs : 0);
    const arrival = Math.max(queue.now + delay, proxy.lastArrival);
    proxy.lastArrival = arrival;
    queue.at(arrival, () => {
      if (version > proxy.adminVersion) proxy.adminVersion = version;
      queue.after(prng.between(s.workerLagMs.min, s.workerLagMs.max), () => {
        if (version > proxy.routingVersion) proxy.routingVersion = version;
      });
    });
  };

  config.onPush((version) => {
    for (const pod of live()) schedulePush(pod, version);
  });

  const createPod = (role: "gateway" | "sidecar", service: string, version: string, ready: boolean): Pod => {
    podSeq += 1;
    let laggard = false;
    if (!laggardAssigned && role === "sidecar" && prng.chance(0.3)) {
      laggard = true;
      laggardAssigned = true;
    }
    const pod: Pod = {
      id: `${service}-${version || "gw"}-${podSeq}`,
      role,
      service,
      version,
      state: ready ? "ready" : "starting",
      createdAt: queue.now,
      readyAt: ready ? queue.now : null,
      terminatingAt: null,
      goneAt: null,
      proxy: {
        binding: role === "gateway" ? s.gatewayBinding : "mesh",
        adminVersion: config.version,
        routingVersion: config.version,
        lastArrival: queue.now,
        endpoints: new Set(published),
        laggard,
      },
      tm: {
        up: true,
        dirty: false,
        dirtySince: 0,
        dirtyReasons: [],
        dirtyInterval: null,
        unaccounted: new Set(),
        watermark: null,
        lastHeartbeat: null,
        weight: 0,
        weightVersion: 0,
      },
      active: 0,
      activeCalls: new Set(),
    };
    pods.push(pod);
    startTraceManager(tmContext, pod);
    if (ready) {
      if (role === "sidecar") {
        published.add(pod);
        for (const other of pods) if (other !== pod) other.proxy.endpoints.add(pod);
        pod.proxy.endpoints.add(pod);
      }
    } else {
      queue.after(prng.between(s.startupMs.min, s.startupMs.max), () => {
        if (pod.state !== "starting") return;
        pod.state = "ready";
        pod.readyAt = queue.now;
        propagateEndpoint(pod, true);
      });
    }
    return pod;
  };

  const terminatePod = (pod: Pod): void => {
    if (pod.state === "terminating" || pod.state === "gone") return;
    const wasPublished = published.has(pod);
    pod.state = "terminating";
    pod.terminatingAt = queue.now;
    if (wasPublished) propagateEndpoint(pod, false);
    queue.after(s.exitAfterMs, () => {
      pod.state = "gone";
      pod.goneAt = queue.now;
      truth.killedInFlight += pod.active;
      checkOldUnlisted();
    });
  };

  const tmContext: TraceManagerContext = {
    scenario: s,
    queue,
    prng,
    store,
    truth,
    gateways,
    inFlight,
    inFlightTxns: inFlightTxn,
    views: createProxyViews(config, s),
    closeDirty,
  };

  // Initial pods: gateways, old versions, the entry and the bypass callers.
  for (let i = 0; i < s.gateways; i++) gateways.push(createPod("gateway", "ingressgateway", "", true));
  for (const svc of s.services) {
    const d: Deployment = { service: svc, version: s.oldVersion, replicas: s.replicas, pods: [] };
    for (let i = 0; i < s.replicas; i++) d.pods.push(createPod("sidecar", svc, s.oldVersion, true));
    deployments.set(deploymentKey(svc, s.oldVersion), d);
  }
  if (!s.entryInTrain) createPod("sidecar", ENTRY_SERVICE, "v1", true);
  for (let i = 0; i < s.bypassPods; i++) createPod("sidecar", BYPASS_SERVICE, "v1", true);
  // Every initial proxy lists every initial endpoint.
  for (const p of pods) for (const ep of published) p.proxy.endpoints.add(ep);

  // TraceManager outages, from 0 or from the flip's write.
  const startOutage = (o: Outage): void => {
    const candidates = o.gateway ? gateways : live().filter((p) => p.role === "sidecar");
    const pod = candidates[o.podIndex % Math.max(1, candidates.length)];
    if (pod === undefined) return;
    pod.tm.up = false;
    markDirty(pod, "outage");
    queue.after(o.durationMs, () => {
      pod.tm.up = true;
    });
  };
  for (const o of s.outages) if (o.afterFlip !== true) queue.at(o.at, () => startOutage(o));
  const flipOutages = s.outages.filter((o) => o.afterFlip === true);
  let flipped = false;
  config.onPush(() => {
    if (flipped || flipOutages.length === 0 || !holdsFlip(config.current(), s)) return;
    flipped = true;
    for (const o of flipOutages) queue.after(o.at, () => startOutage(o));
  });

  const setReplicas = (d: Deployment, replicas: number): boolean => {
    const liveList = d.pods.filter((p) => p.state === "starting" || p.state === "ready");
    if (d.replicas === replicas && liveList.length === replicas) return false;
    d.replicas = replicas;
    for (let i = liveList.length; i < replicas; i++) {
      d.pods.push(createPod("sidecar", d.service, d.version, false));
    }
    if (liveList.length > replicas) {
      const excess = liveList.slice(replicas);
      noteRemoval(d.version);
      for (const p of excess) terminatePod(p);
    }
    return true;
  };

  const noteRemoval = (version: string): void => {
    if (version === s.oldVersion && truth.oldRemovalStartedAt === null) {
      truth.oldRemovalStartedAt = queue.now;
    }
    if (version === s.newVersion && truth.newRemovalStartedAt === null) {
      truth.newRemovalStartedAt = queue.now;
    }
  };

  const world: World = {
    scenario: s,
    queue,
    prng,
    config,
    store,
    truth,
    pods,
    gateways,
    deployments,
    inFlight,
    inFlightTxns: inFlightTxn,
    ensureDeployment(service, version, replicas) {
      const key = deploymentKey(service, version);
      if (deployments.has(key)) return false;
      const d: Deployment = { service, version, replicas: 0, pods: [] };
      deployments.set(key, d);
      setReplicas(d, replicas);
      return true;
    },
    scale(service, version, replicas) {
      const d = deployments.get(deploymentKey(service, version));
      if (d === undefined) return false;
      return setReplicas(d, replicas);
    },
    deleteDeployment(service, version) {
      const key = deploymentKey(service, version);
      const d = deployments.get(key);
      if (d === undefined) return false;
      setReplicas(d, 0);
      deployments.delete(key);
      return true;
    },
    publishWeight(weight, weightVersion) {
      const p = store.published;
      if (p !== null && p.weightVersion === weightVersion && p.weight === weight) return false;
      store.published = { weight, weightVersion };
      return true;
    },
    markDirty,
    draw,
    liveProxies: live,
  };
  return world;
}

/** Whether a non-enrolled clone of the upgrade sends a train host to `new` (the flip is written). */
function holdsFlip(config: MeshConfig, s: SimScenario): boolean {
  const held = `tranquil-${s.upgradeId}-held-`;
  return config.virtualServices.some((vs) =>
    (vs.spec.http ?? []).some(
      (r) =>
        (r.name ?? "").startsWith(held) && (r.route ?? []).some((d) => d.destination.subset === s.newVersion),
    ),
  );
}
