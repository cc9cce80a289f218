/**
 * The product's route planner (controller/istio/routes) behind the simulator's RoutePlanner shape,
 * so the simulated reconciler writes exactly what the real one would.
 */
import { planVirtualServices } from "../../../controller/istio/routes/index.js";
import type { RoutePlanner } from "./sim-planner.js";

/** The namespace every simulated object lives in. */
export const SIM_NAMESPACE = "default";

/** Plans with controller/istio/routes' planVirtualServices. */
export const productPlanner: RoutePlanner = (config, ctx) => {
  const plan = planVirtualServices({
    upgradeId: ctx.upgradeId,
    namespace: SIM_NAMESPACE,
    services: ctx.services,
    intent: ctx.intent,
    epoch: ctx.epoch,
    enrolmentHeader: ctx.enrolmentHeader,
    virtualServices: config.virtualServices,
  });
  return {
    virtualServices: plan.upserts,
    deletes: plan.deletes.map((d) => d.name),
    originals: plan.originals,
  };
};
