/**
 * One simulated world, drawn from a seed: the train, the proxies' delays, the traffic and the
 * faults. Everything the controller cannot control is fixed here, so a seed replays exactly.
 */
import { createPrng } from "./prng.js";

/** A long-tailed delay: `base` plus a Pareto tail of scale `scale` and shape `alpha`, capped at `cap` (ms). */
export interface TailDelay {
  readonly base: number;
  readonly scale: number;
  readonly alpha: number;
  readonly cap: number;
}

/** A TraceManager outage: the TraceManager of the pod at `podIndex` (modulo the pod count) is down. */
export interface Outage {
  readonly podIndex: number;
  /** Virtual ms from 0, or from the flip's write with `afterFlip`. */
  readonly at: number;
  /**
   * Start `at` ms after the first write that flips a non-enrolled clone to `new` (the window
   * ADR 0090 closes: a gateway failing open while the flip propagates).
   */
  readonly afterFlip?: boolean;
  readonly durationMs: number;
  /** An outage of a gateway's TraceManager instead of a sidecar's. */
  readonly gateway: boolean;
}

/** Everything a run needs besides the controller. Times are virtual milliseconds from 0. */
export interface SimScenario {
  readonly seed: number;
  /** The Upgrade's name, also its enrolment id. */
  readonly upgradeId: string;
  /** The release train (service names = hosts). */
  readonly services: readonly string[];
  readonly oldVersion: string;
  readonly newVersion: string;
  /** Replicas of each version of each train service. */
  readonly replicas: number;
  /** Ingress gateway replicas. */
  readonly gateways: number;
  /** The Istio gateway name the ingress VirtualServices bind (`<ns>/<name>`). */
  readonly gatewayBinding: string;
  /** When false, the ingress routes to a non-upgraded `api` service that calls the train. */
  readonly entryInTrain: boolean;
  /** When true, user routes name the old subset; otherwise they name no subset (every instance). */
  readonly userRouteHasSubset: boolean;
  /** Pods of a non-upgraded `batch` service whose calls bypass the ingress. */
  readonly bypassPods: number;
  /** Config push delay from the control plane to each proxy. */
  readonly push: TailDelay;
  /** One proxy lags far behind every push by this much (0 = none). */
  readonly laggardExtraMs: number;
  /** Admin view → routing (worker threads switch after the main thread). */
  readonly workerLagMs: { readonly min: number; readonly max: number };
  /** Endpoint (EDS) updates: new pods appear late, removed pods linger. */
  readonly endpointLag: TailDelay;
  /** Time from pod creation to Ready. */
  readonly startupMs: { readonly min: number; readonly max: number };
  /** A terminating pod keeps serving in-flight calls, then exits after this long. */
  readonly exitAfterMs: number;
  /** Envoy's ALS flush (max delay of a completion record). */
  readonly alsFlushMs: number;
  /** Probability an ALS entry is dropped. */
  readonly alsLoss: number;
  /** Time for a gateway TraceManager to pick up a new weight after the controller writes it (cache). */
  readonly weightCacheMs: number;
  readonly heartbeatMs: number;
  readonly outages: readonly Outage[];
  /**
   * Ingress transactions per second; each walks the whole train (after `api` when the entry is
   * not in the train) plus `extraHops` calls to random members; gaps between hops; durations.
   */
  readonly ingress: {
    readonly perSecond: number;
    readonly extraHops: { readonly min: number; readonly max: number };
    readonly gapMs: TailDelay;
    readonly tail: TailDelay;
  };
  /** Bypass transactions per second (calls that originate inside the mesh). */
  readonly bypass: {
    readonly perSecond: number;
    readonly hops: { readonly min: number; readonly max: number };
    readonly gapMs: TailDelay;
    readonly tail: TailDelay;
  };
  /** When true, `new` is broken: its calls answer with fast application errors (at `newErrorRate`). */
  readonly newFails: boolean;
  readonly newErrorRate: number;
  /** Probability the controller crashes between two actions (and at each tick before acting). */
  readonly restartProbability: number;
  readonly restartDowntimeMs: { readonly min: number; readonly max: number };
  /** Controller reconcile interval. */
  readonly tickMs: number;
  /** The run gives up (and reports non-termination) after this much virtual time. */
  readonly maxVirtualMs: number;
  /** Traffic keeps flowing this long after the controller finishes, to catch late failures. */
  readonly afterglowMs: number;
}

/** Parts of a scenario a test or the CLI may force. */
export type ScenarioOverrides = Partial<SimScenario>;

/** Draws a scenario from `seed`; `overrides` replace drawn fields. */
export function drawScenario(seed: number, overrides: ScenarioOverrides = {}): SimScenario {
  const r = createPrng(seed ^ 0x5eed);
  const trainSize = r.int(1, 3);
  const services = ["order", "item", "station"].slice(0, trainSize);
  const hasOutage = r.chance(0.3);
  const outages: Outage[] = hasOutage
    ? [
        {
          podIndex: r.int(0, 20),
          at: r.between(2_000, 25_000),
          durationMs: r.between(300, 4_000),
          gateway: r.chance(0.3),
        },
      ]
    : [];
  const scenario: SimScenario = {
    seed,
    upgradeId: `up${seed.toString(36)}`,
    services,
    oldVersion: "v1",
    newVersion: "v2",
    replicas: r.int(1, 2),
    gateways: r.int(1, 2),
    gatewayBinding: "istio-system/ingress",
    entryInTrain: r.chance(0.5),
    userRouteHasSubset: r.chance(0.6),
    bypassPods: 1,
    push: { base: 20, scale: r.between(30, 150), alpha: r.between(1.2, 2.5), cap: 3_000 },
    laggardExtraMs: r.chance(0.5) ? r.between(500, 2_500) : 0,
    workerLagMs: { min: 2, max: r.between(20, 150) },
    endpointLag: { base: 30, scale: r.between(40, 200), alpha: 1.5, cap: 2_500 },
    startupMs: { min: 500, max: r.between(1_000, 5_000) },
    exitAfterMs: r.between(200, 1_500),
    alsFlushMs: 1_000,
    alsLoss: r.chance(0.3) ? 0.002 : 0,
    weightCacheMs: 500,
    heartbeatMs: 1_000,
    outages,
    ingress: {
      perSecond: r.between(3, 6),
      extraHops: { min: 0, max: 2 },
      gapMs: { base: 2, scale: 20, alpha: 1.5, cap: 2_000 },
      tail: { base: 10, scale: 60, alpha: 1.3, cap: 8_000 },
    },
    bypass: {
      perSecond: r.between(0.3, 1.5),
      hops: { min: 2, max: 4 },
      gapMs: { base: 50, scale: 300, alpha: 1.2, cap: 4_000 },
      tail: { base: 20, scale: 200, alpha: 1.2, cap: 6_000 },
    },
    newFails: r.chance(0.15),
    newErrorRate: 1,
    restartProbability: r.chance(0.5) ? r.between(0.02, 0.15) : 0,
    restartDowntimeMs: { min: 100, max: 2_000 },
    tickMs: 500,
    maxVirtualMs: 10 * 60_000,
    afterglowMs: 6_000,
  };
  return { ...scenario, ...overrides };
}
