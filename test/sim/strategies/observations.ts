/**
 * Builds decide()'s Observations from what a controller can see in the simulated world: the
 * TraceManagers' records and heartbeat reports (late, lossy, possibly stale), the Kubernetes
 * view of Deployments and pods, and the route table. Never from the ground truth.
 */
import type {
  ActionResult,
  Observations,
  PodObservation,
  ServiceObservation,
  UpgradeSpec,
  UpgradeStatus,
  ValidationFacts,
  VersionAnalysis,
  VersionObservation,
} from "../../../controller/engine/types.js";
import { highestEpoch, sentinelGateways } from "../../../controller/istio/routes/index.js";
import { deploymentKey, type World } from "../world/world.js";

/**
 * A proxy that receives no route configuration of a train host has nothing to confirm; the
 * TraceManager reports it as confirmed for every epoch (PodObservation has no "not
 * applicable" value for configEpoch).
 */
const VACUOUS_EPOCH = Number.MAX_SAFE_INTEGER;

function analysisOf(
  world: World,
  service: string,
  version: string,
  since: number | null,
): VersionAnalysis | null {
  if (since === null) return null;
  const samples = world.store.samplesByVersion.get(deploymentKey(service, version)) ?? [];
  // Samples are appended in time order: find the window's start by bisection.
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((samples[mid]?.at ?? 0) < since) lo = mid + 1;
    else hi = mid;
  }
  const window = samples.slice(lo);
  if (window.length === 0) return { requests: 0, successRate: null, p99Ms: null };
  const ok = window.filter((x) => x.ok).length;
  const durations = window.map((x) => x.durationMs).sort((a, b) => a - b);
  const p99 = durations[Math.min(durations.length - 1, Math.floor(durations.length * 0.99))] ?? null;
  return { requests: window.length, successRate: (100 * ok) / window.length, p99Ms: p99 };
}

function versionObservation(
  world: World,
  service: string,
  version: string,
  status: UpgradeStatus,
  livePods: readonly string[],
): VersionObservation {
  const now = world.queue.now;
  const d = world.deployments.get(deploymentKey(service, version));
  const key = deploymentKey(service, version);
  let healthyAt = 0;
  let listedAt = 0;
  let proxies = 0;
  for (const name of livePods) {
    const r = world.store.reports.get(name);
    if (r === undefined || r.terminating) continue;
    proxies += 1;
    const n = r.listed[key] ?? 0;
    if (n > 0) {
      healthyAt += 1;
      listedAt += 1;
    }
  }
  const lost = world.store.lost;
  let activeCalls = 0;
  let oldest = now;
  const txns = new Set<string>();
  for (const c of world.store.activeByVersion.get(key) ?? []) {
    if (lost.size > 0 && lost.has(c.txn)) continue;
    activeCalls += 1;
    txns.add(c.txn);
    if (c.startAt < oldest) oldest = c.startAt;
  }
  // Envoy's inbound downstream_rq_active of this version's pods, from their last heartbeats.
  let envoyActive: number | null = 0;
  for (const pod of d?.pods ?? []) {
    if (pod.state === "gone") continue;
    const r = world.store.reports.get(pod.id);
    if (r === undefined) {
      envoyActive = null;
      break;
    }
    envoyActive += r.downstreamActive;
  }
  return {
    desiredReplicas: d?.replicas ?? 0,
    readyReplicas: d?.pods.filter((p) => p.state === "ready").length ?? 0,
    endpoints: { proxies, healthyAt, listedAt },
    activeCalls,
    activeTransactions: txns.size,
    oldestActiveAgeSeconds: (now - oldest) / 1000,
    envoyActive,
    // The reconciler gathers analysis figures only while a step is being analysed.
    analysis:
      status.phase === "Shifting"
        ? analysisOf(world, service, version, status.engine.instants.stepStartedAt)
        : null,
  };
}

/** Observations for one tick. `acks` are the reconciler's in-memory acknowledgements. */
export function buildObservations(
  world: World,
  spec: UpgradeSpec,
  status: UpgradeStatus,
  acks: ReadonlyMap<string, ActionResult>,
): Observations {
  const s = world.scenario;
  const now = world.queue.now;
  const store = world.store;
  const live = world.pods.filter((p) => p.state !== "gone");
  const liveNames = live.map((p) => p.id);

  const services: Record<string, ServiceObservation> = {};
  for (const svc of spec.services) {
    services[svc.name] = {
      versions: {
        [svc.from]: versionObservation(world, svc.name, svc.from, status, liveNames),
        [svc.to]: versionObservation(world, svc.name, svc.to, status, liveNames),
      },
    };
  }

  // Gateways the table binds to the upgrade's sentinel must name an epoch (ADR 0090).
  const bound = boundGateways(world);
  const pods: PodObservation[] = live.map((p) => {
    const r = store.reports.get(p.id);
    const epoch = r?.configEpoch;
    const absent = p.role === "gateway" && bound.has(p.proxy.binding) ? null : VACUOUS_EPOCH;
    return {
      name: p.id,
      role: p.role,
      ...(p.role === "sidecar" ? { service: p.service, version: p.version } : {}),
      terminating: p.state === "terminating",
      configEpoch: r === undefined ? null : epoch === undefined ? absent : epoch,
      weightVersion: r?.weightVersion ?? null,
      watermark: r?.watermark ?? null,
      dirty: r?.dirty ?? false,
      heartbeatAgeMs: now - (r?.at ?? p.createdAt),
    };
  });

  // Lost transactions stop counting (DeclareLost); the rest comes from the store's running counts.
  let lostEnrolled = 0;
  let lostNonEnrolled = 0;
  for (const id of store.lost) {
    const rec = store.ingress.get(id);
    if (rec === undefined || rec.endAt !== null) continue;
    if (rec.enrolled) lostEnrolled += 1;
    else lostNonEnrolled += 1;
  }
  const ingress = {
    enrolledInFlight: store.ingressInFlight.enrolled - lostEnrolled,
    nonEnrolledInFlight: store.ingressInFlight.nonEnrolled - lostNonEnrolled,
    lastEnrolledStartAt: store.lastEnrolledStartAt,
    lastNonEnrolledStartAt: store.lastNonEnrolledStartAt,
  };

  // Transactions with activity at any old of the train, plus the pinned ones (pin idleness).
  const atOld = new Map<string, number>();
  for (const svc of spec.services) {
    for (const c of store.activeByVersion.get(deploymentKey(svc.name, svc.from)) ?? []) {
      atOld.set(c.txn, (atOld.get(c.txn) ?? 0) + 1);
    }
  }
  for (const pin of status.engine.pins) if (!atOld.has(pin.id)) atOld.set(pin.id, 0);
  const transactions = [...atOld.entries()]
    .filter(([id]) => store.lastSeen.has(id))
    .map(([id, activeCallsAtOld]) => ({
      id,
      startedAt: store.firstSeen.get(id) ?? now,
      lastSeenAt: store.lastSeen.get(id) ?? now,
      activeCallsAtOld,
    }));

  const epochInTable = highestSentinelEpoch(world);

  return {
    upgradeId: s.upgradeId,
    // Validation facts are gathered for Validating only.
    ...(status.phase === "Validating" ? { validation: validationFacts(world, spec) } : {}),
    services,
    pods,
    ingress,
    transactions,
    prometheus: {},
    violations: store.violations,
    routes: { epochInTable },
    actionResults: Object.fromEntries(acks),
    commands: [],
  };
}

const epochCache = new WeakMap<World, { version: number; epoch: number | null }>();

/** The highest sentinel epoch in the route table, read as the product does (cached per config version). */
function highestSentinelEpoch(world: World): number | null {
  const cached = epochCache.get(world);
  if (cached !== undefined && cached.version === world.config.version) return cached.epoch;
  const epoch = highestEpoch(world.scenario.upgradeId, world.config.current().virtualServices);
  epochCache.set(world, { version: world.config.version, epoch });
  return epoch;
}

/** Validation facts (§4.1) as the simulated cluster has them: every service is valid. */
function validationFacts(world: World, spec: UpgradeSpec): ValidationFacts {
  const subsetsOf = (host: string): string[] =>
    world.config
      .current()
      .destinationRules.filter((d) => d.spec.host === host)
      .flatMap((d) => (d.spec.subsets ?? []).map((x) => x.name));
  return {
    services: Object.fromEntries(
      spec.services.map((svc) => [
        svc.name,
        {
          exists: true,
          headless: false,
          tcpPorts: [],
          versions: [...world.deployments.values()]
            .filter((d) => d.service === svc.name)
            .map((d) => d.version),
          subsets: subsetsOf(svc.name),
          oldSelectorHasVersion: true,
          gitOpsSelfHeal: false,
        },
      ]),
    ),
    otherActiveUpgrades: [],
    meshProblems: [],
  };
}

const bindingCache = new WeakMap<World, { version: number; gateways: ReadonlySet<string> }>();

/** The gateways bound by a VirtualService carrying the upgrade's sentinel, read as the product does. */
function boundGateways(world: World): ReadonlySet<string> {
  const cached = bindingCache.get(world);
  if (cached !== undefined && cached.version === world.config.version) return cached.gateways;
  const gateways = new Set(
    sentinelGateways(world.scenario.upgradeId, world.config.current().virtualServices),
  );
  bindingCache.set(world, { version: world.config.version, gateways });
  return gateways;
}
