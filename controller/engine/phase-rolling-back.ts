/**
 * RollingBack (§4.6), the mirror of Shifting and Draining: if the clones were flipped, flip
 * them back while weight 100 and the gateway stamps still enrol every ingress transaction;
 * remove the stamps; set the weight to 0;
 * drain the enrolled transactions; close the door; scale `new` to 0 and wait until no proxy
 * lists it; remove the clones, the sentinel and the `new` subset.
 */
import { Phase, RouteMode, Stage } from "./phases.js";
import { endpointsStillListed } from "./phase-preparing.js";
import { waitUncertified } from "./certify-wait.js";
import { listNames, lossAdvice, notCleanPast } from "./proxies.js";
import { intent, routesConfirmed, routesWritten, weightConfirmed } from "./routing.js";
import { flipReady } from "./phase-draining.js";
import type { Tick } from "./tick.js";
import { ActionKind, ConditionType } from "./types.js";

/** Start rolling back from the current phase, recording why. */
export function startRollback(t: Tick, reason: string): void {
  t.s.engine.reason = reason;
  // The flip back is decided afresh (see flipReady).
  t.s.engine.instants.flipDecidedAt = null;
  // No gate holds a rollback; the reason (a gate's, too) is in the history and engine.reason.
  t.clearCondition(ConditionType.Gate, "RollingBack", "rolling back; no gate is asked any more");
  t.enter(Phase.RollingBack, Stage.Unflip, `rolling back: ${reason}`);
}

/** Services whose `new` shows activity (or reports nothing). */
function busyNew(t: Tick): string[] {
  return t.spec.services
    .filter((svc) => {
      const v = t.obs.services[svc.name]?.versions[svc.to];
      return v !== undefined && v.activeCalls > 0;
    })
    .map((svc) => `${svc.name}@${svc.to}`);
}

function next(t: Tick, stage: (typeof Stage)[keyof typeof Stage]): void {
  t.go(stage);
  rollingBack(t);
}

/** One RollingBack tick. */
export function rollingBack(t: Tick): void {
  const e = t.s.engine;
  const pins = e.pins.map((p) => p.id);
  const doorOpen = e.routes.mode === RouteMode.DoorOpen || e.routes.mode === RouteMode.Flipped;
  switch (e.stage) {
    case Stage.Unflip:
      // Flip back first (weight is still 100, so only bypass traffic is non-enrolled); then
      // finish confirming whatever is written, so later stages start from confirmed routes.
      if (e.routes.mode === RouteMode.Flipped) {
        // Same hazard as the forward flip: a gateway failing open sends unrecorded,
        // non-enrolled transactions through the clones being moved. The stamps (ADR 0090)
        // stay through the flip back, so every ingress transaction is still enrolled.
        if (!flipReady(t)) return;
        if (!routesConfirmed(t, intent(RouteMode.DoorOpen, pins, true, e.routes.stamps === true))) return;
      }
      if (e.routes.mode !== RouteMode.None && !routesConfirmed(t, e.routes)) return;
      // Only once the flip back is confirmed do the stamps go (before weight 0, which they
      // would defeat): non-enrolled transactions then go to old at every proxy.
      if (e.routes.stamps === true && !routesConfirmed(t, intent(RouteMode.DoorOpen, pins))) return;
      next(t, Stage.WeightZero);
      return;
    case Stage.WeightZero:
      if (!weightConfirmed(t, 0)) return;
      e.instants.weightZeroAt = t.now;
      next(t, Stage.DrainEnrolled);
      return;
    case Stage.DrainEnrolled: {
      if (!doorOpen) {
        next(t, Stage.CloseDoor);
        return;
      }
      const since = e.instants.weightZeroAt ?? e.stageSince;
      const inFlight = t.obs.ingress.enrolledInFlight;
      const gateways = t.obs.pods.filter((p) => p.role === "gateway");
      const unclean = notCleanPast(gateways, since, t.cfg);
      const busy = busyNew(t);
      if (!t.heldFor(inFlight === 0 && unclean.length === 0 && busy.length === 0, t.cfg.settleMs)) {
        if (inFlight > 0)
          t.wait("EnrolledInFlight", `${inFlight} enrolled ingress transaction(s) still in flight`);
        else if (unclean.length > 0)
          waitUncertified(
            t,
            unclean,
            "weight 0",
            "GatewaysNotClean",
            `gateways not clean past weight 0: ${listNames(unclean)}${lossAdvice(t.obs.pods, unclean)}`,
          );
        else if (busy.length > 0) t.wait("NewActive", `calls still active at ${listNames(busy)}`);
        else t.wait("Settling", "no enrolled transaction in flight; waiting the settle window");
        return;
      }
      next(t, Stage.CloseDoor);
      return;
    }
    case Stage.CloseDoor:
      if (e.routes.mode !== RouteMode.None && !routesConfirmed(t, intent(RouteMode.Held))) return;
      next(t, Stage.ScaleNew);
      return;
    case Stage.ScaleNew: {
      if (!e.newStarted) {
        next(t, Stage.RemoveRoutes);
        return;
      }
      const done = t.spec.services.map((svc) =>
        t.ensure({
          kind: ActionKind.ScaleVersion,
          key: t.key("scale", svc.name, svc.to, 0),
          service: svc.name,
          version: svc.to,
          replicas: 0,
        }),
      );
      if (!done.every(Boolean)) {
        t.wait("ScalingNew", "scaling new to 0");
        return;
      }
      next(t, Stage.NewEndpointsGone);
      return;
    }
    case Stage.NewEndpointsGone: {
      const listed = endpointsStillListed(t, "to");
      if (listed.length > 0) {
        t.wait("NewEndpointsListed", `some proxy still lists an endpoint of ${listNames(listed)}`);
        return;
      }
      next(t, Stage.RemoveRoutes);
      return;
    }
    case Stage.RemoveRoutes:
      if (e.routes.mode !== RouteMode.None && !routesConfirmed(t, intent(RouteMode.Removed))) return;
      next(t, Stage.RemoveNewSubset);
      return;
    case Stage.RemoveNewSubset: {
      const userOwned = e.userOwnedNewSubsets ?? [];
      const removed = e.newSubsetAdded
        ? t.spec.services
            .filter((svc) => !userOwned.includes(svc.name))
            .map((svc) =>
              t.ensure({
                kind: ActionKind.RemoveSubset,
                key: t.key("unsubset", svc.name, svc.to),
                service: svc.name,
                version: svc.to,
              }),
            )
        : [];
      const clean =
        e.routes.mode === RouteMode.None || routesWritten(t, intent(RouteMode.Removed, [], false));
      if (!removed.every(Boolean) || !clean) {
        t.wait("RemovingNew", "removing the new subset and the sentinel");
        return;
      }
      e.pins = [];
      t.s.pinned = 0;
      t.enter(Phase.RolledBack, Stage.Done, `rolled back: ${e.reason ?? "aborted"}`);
      return;
    }
    default:
      t.wait("UnknownStage", `stage ${e.stage} does not belong to RollingBack`);
  }
}
