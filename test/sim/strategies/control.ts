/**
 * The control strategy: what plain Istio weighted routing (Flagger-style canaries) does. Every
 * hop picks `old` or `new` per request by the route weights, the weight moves by steps, and
 * `old` is scaled away a fixed delay after the weight reaches 100. Run through the same
 * simulator as Tranquil, it must show the violations Tranquil prevents. It rewrites the user
 * routes' weights itself rather than through the product's planner: that planner writes
 * Tranquil's clones, pins and sentinel, which are what the control must do without.
 */
import type { DestinationRule, VirtualService } from "../../../istio/api/types.js";
import type { ControllerStrategy, Execution } from "../controller-loop.js";
import type { World } from "../world/world.js";
import { deploymentKey } from "../world/world.js";

/** Control-strategy timing. */
export interface ControlOptions {
  readonly steps: readonly number[];
  readonly stepIntervalMs: number;
  /** Fixed delay between weight 100 and removing `old`. */
  readonly removeAfterMs: number;
}

/** Defaults: Flagger-like steps, 2 s per step, `old` removed 2 s after weight 100. */
export const DEFAULT_CONTROL_OPTIONS: ControlOptions = {
  steps: [10, 50, 100],
  stepIntervalMs: 2_000,
  removeAfterMs: 2_000,
};

/** The control strategy's persisted status. */
export interface ControlStatus {
  readonly phase: "Starting" | "Shifting" | "Removing" | "Succeeded";
  readonly step: number;
  readonly since: number;
}

/** One control action: a keyed closure over the world. */
export interface ControlAction {
  readonly key: string;
  readonly run: (world: World) => boolean;
}

function weightedRoutes(world: World, svc: string, oldWeight: number): VirtualService | undefined {
  const s = world.scenario;
  const vs = world.config.current().virtualServices.find((v) => v.metadata.name === svc);
  if (vs === undefined) return undefined;
  const next = structuredClone(vs);
  for (const route of next.spec.http ?? []) {
    route.route = [
      ...(oldWeight > 0 ? [{ destination: { host: svc, subset: s.oldVersion }, weight: oldWeight }] : []),
      ...(oldWeight < 100
        ? [{ destination: { host: svc, subset: s.newVersion }, weight: 100 - oldWeight }]
        : []),
    ];
  }
  return next;
}

function subsets(world: World, svc: string, versions: readonly string[]): DestinationRule {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: { name: svc, namespace: "default" },
    spec: { host: svc, subsets: versions.map((v) => ({ name: v, labels: { version: v } })) },
  };
}

/** Builds the control strategy. */
export function controlStrategy(
  options: ControlOptions = DEFAULT_CONTROL_OPTIONS,
): ControllerStrategy<ControlStatus, ControlAction, boolean> {
  return {
    name: "control",
    initial: () => ({ phase: "Starting", step: -1, since: 0 }),
    decide(status, world) {
      const s = world.scenario;
      const now = world.queue.now;
      const actions: ControlAction[] = [];
      if (status.phase === "Starting") {
        for (const svc of s.services) {
          actions.push({
            key: `subsets-${svc}`,
            run: (w) => w.config.applyDestinationRule(subsets(w, svc, [s.oldVersion, s.newVersion])),
          });
          actions.push({
            key: `deploy-${svc}`,
            run: (w) => w.ensureDeployment(svc, s.newVersion, s.replicas),
          });
        }
        const ready = s.services.every((svc) => {
          const d = world.deployments.get(deploymentKey(svc, s.newVersion));
          return d !== undefined && d.pods.filter((p) => p.state === "ready").length >= s.replicas;
        });
        return {
          status: ready ? { phase: "Shifting", step: -1, since: now - options.stepIntervalMs } : status,
          actions,
        };
      }
      if (status.phase === "Shifting") {
        if (now - status.since < options.stepIntervalMs) return { status, actions };
        const step = status.step + 1;
        const weight = options.steps[step];
        if (weight === undefined) {
          if (now - status.since < options.removeAfterMs) return { status, actions };
          return { status: { phase: "Removing", step, since: now }, actions };
        }
        for (const svc of s.services) {
          actions.push({
            key: `weight-${svc}-${step}`,
            run: (w) => {
              const vs = weightedRoutes(w, svc, 100 - weight);
              return vs !== undefined && w.config.applyVirtualService(vs);
            },
          });
        }
        return { status: { phase: "Shifting", step, since: now }, actions };
      }
      if (status.phase === "Removing") {
        for (const svc of s.services) {
          actions.push({ key: `scale-old-${svc}`, run: (w) => w.scale(svc, s.oldVersion, 0) });
          actions.push({
            key: `drop-old-subset-${svc}`,
            run: (w) => w.config.applyDestinationRule(subsets(w, svc, [s.newVersion])),
          });
        }
        return { status: { phase: "Succeeded", step: status.step, since: now }, actions };
      }
      return { status, actions };
    },
    execute(action, world): Execution<boolean> {
      const changed = action.run(world);
      return { changed, result: true };
    },
    pending: () => [],
    phase: (status) => status.phase,
    terminal: (status) => status.phase === "Succeeded",
  };
}
