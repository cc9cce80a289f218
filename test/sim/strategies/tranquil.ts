/**
 * Tranquil's engine in the simulated loop: decide() over Observations built from the world,
 * and a reconciler that executes its actions against the simulated Kubernetes API, route
 * table and trace store, acknowledging each by key. Every execution is idempotent: writes
 * are diffed against what is stored, so re-executing a key changes nothing.
 */
import { planSubset } from "../../../controller/istio/routes/index.js";
import { decide, pendingActions } from "../../../controller/engine/decide.js";
import { initialStatus } from "../../../controller/engine/status.js";
import {
  TERMINAL_PHASES,
  type Action,
  type ActionResult,
  type Settings,
  type UpgradeSpec,
  type UpgradeStatus,
} from "../../../controller/engine/types.js";
import type { ControllerStrategy, Execution } from "../controller-loop.js";
import { ENROLMENT_HEADER } from "../world/traffic.js";
import type { World } from "../world/world.js";
import { buildObservations } from "./observations.js";
import { productPlanner, SIM_NAMESPACE, type RoutePlanner } from "./product-planner.js";

/** Options of the Tranquil strategy. */
export interface TranquilOptions {
  readonly spec: UpgradeSpec;
  readonly settings: Settings;
  /** The route planner the reconciler runs for WriteRoutes (default: the product's; tests wrap it to break it). */
  readonly planner?: RoutePlanner;
}

/** Adds or removes one version subset as the product's reconciler does (controller/istio/routes). */
function writeSubset(world: World, service: string, version: string, present: boolean): boolean {
  const plan = planSubset({
    upgradeId: world.scenario.upgradeId,
    namespace: SIM_NAMESPACE,
    service,
    version,
    present,
    destinationRules: world.config.current().destinationRules,
  });
  if (plan.kind === "upsert") return world.config.applyDestinationRule(plan.object);
  if (plan.kind === "delete") return world.config.deleteDestinationRule(plan.ref.name);
  return false;
}

/** Builds the strategy that runs decide(). */
export function tranquilStrategy(
  opts: TranquilOptions,
): ControllerStrategy<UpgradeStatus, Action, ActionResult> {
  if (opts.settings.enrolmentHeader !== ENROLMENT_HEADER) {
    throw new Error(
      `tranquilStrategy: settings.enrolmentHeader is "${opts.settings.enrolmentHeader}" but the simulated gateways set "${ENROLMENT_HEADER}"; use the default header`,
    );
  }
  const planner = opts.planner ?? productPlanner;
  const events = new Set<string>();
  const ok: ActionResult = { ok: true };

  const execute = (action: Action, world: World): Execution<ActionResult> => {
    switch (action.kind) {
      case "ensureSubset":
        return { changed: writeSubset(world, action.service, action.version, true), result: ok };
      case "removeSubset":
        return { changed: writeSubset(world, action.service, action.version, false), result: ok };
      case "writeRoutes": {
        const plan = planner(world.config.current(), {
          upgradeId: world.scenario.upgradeId,
          services: opts.spec.services,
          enrolmentHeader: opts.settings.enrolmentHeader,
          epoch: action.epoch,
          intent: action.intent,
        });
        let changed = false;
        for (const vs of plan.virtualServices) changed = world.config.applyVirtualService(vs) || changed;
        for (const name of plan.deletes) changed = world.config.deleteVirtualService(name) || changed;
        if (action.intent.pins.length > 0) world.truth.pinsWritten = true;
        return {
          changed,
          result: plan.originals.length > 0 ? { ok: true, recorded: plan.originals } : ok,
        };
      }
      case "setWeight":
        return { changed: world.publishWeight(action.weight, action.weightVersion), result: ok };
      case "ensureVersion":
        return {
          changed: world.ensureDeployment(action.service, action.version, action.replicas),
          result: ok,
        };
      case "scaleVersion":
        return { changed: world.scale(action.service, action.version, action.replicas), result: ok };
      case "deleteVersion":
        return { changed: world.deleteDeployment(action.service, action.version), result: ok };
      case "declareLost": {
        const fresh = action.ids.filter((id) => !world.store.lost.has(id));
        for (const id of fresh) world.store.lost.add(id);
        return { changed: fresh.length > 0, result: ok };
      }
      case "recordEvent": {
        const fresh = !events.has(action.key);
        events.add(action.key);
        return { changed: fresh, result: ok };
      }
      case "callWebhook":
        // The simulated specs name no webhook gates; a gate with no server says no.
        return {
          changed: false,
          result: { ok: false, permanent: true, message: "did not answer: the simulation has no webhooks" },
        };
    }
  };

  return {
    name: "tranquil",
    initial: (world) => initialStatus(world.queue.now),
    decide(status, world, acks) {
      const obs = buildObservations(world, opts.spec, status, acks);
      const d = decide(opts.spec, status, obs, world.queue.now, opts.settings);
      return { status: d.status, actions: d.actions };
    },
    execute,
    pending: (status) => pendingActions(status),
    phase: (status) => status.phase,
    terminal: (status) => TERMINAL_PHASES.includes(status.phase),
  };
}
