/**
 * The route planner the simulated reconciler runs for WriteRoutes: the product's
 * (controller/istio/routes), so the simulated proxies route by exactly what the real
 * controller would write. `RoutePlanner` lets a test wrap it, to check that the simulator
 * catches a planner that gets the routes wrong.
 */
import { planVirtualServices } from "../../../controller/istio/routes/index.js";
import type { RoutePlanIntent, RouteOriginal } from "../../../controller/engine/types.js";
import type { VirtualService } from "../../../istio/api/types.js";
import type { MeshConfig } from "../world/config-store.js";

/** The namespace every simulated object lives in. */
export const SIM_NAMESPACE = "default";

/** What a planner needs to know about the upgrade. */
export interface PlanContext {
  readonly upgradeId: string;
  /** Train members: host, old subset, new subset. */
  readonly services: readonly { readonly name: string; readonly from: string; readonly to: string }[];
  readonly enrolmentHeader: string;
  readonly epoch: number;
  readonly intent: RoutePlanIntent;
}

/** The planned VirtualServices, the names of VirtualServices to delete, and the originals of edited user routes. */
export interface RoutePlan {
  readonly virtualServices: readonly VirtualService[];
  readonly deletes: readonly string[];
  readonly originals: readonly RouteOriginal[];
}

/** A route planner: current config + context → desired VirtualServices. */
export type RoutePlanner = (config: MeshConfig, ctx: PlanContext) => RoutePlan;

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
    // One namespace in the simulator: a name identifies the object.
    deletes: plan.deletes.map((d) => d.name),
    originals: plan.originals,
  };
};
