/**
 * Finalizing (§4.5), the point of no return: scale `old` down (or delete it), wait until no
 * proxy lists an `old` endpoint, make the one documented edit to user routes (subset old →
 * new) with the clones, pins removed and the sentinel kept for confirmation, then remove the
 * `old` subset and the sentinel.
 */
import { Phase, RouteMode, Stage } from "./phases.js";
import { endpointsStillListed } from "./phase-preparing.js";
import { listNames } from "./proxies.js";
import { intent, routesConfirmed, routesWritten } from "./routing.js";
import { OldVersionPolicy } from "./settings.js";
import type { Tick } from "./tick.js";
import { ActionKind } from "./types.js";

/** One Finalizing tick. */
export function finalizing(t: Tick): void {
  const e = t.s.engine;
  switch (e.stage) {
    case Stage.ScaleOld: {
      const done = t.spec.services.map((svc) =>
        t.cfg.oldVersionPolicy === OldVersionPolicy.Delete
          ? t.ensure({
              kind: ActionKind.DeleteVersion,
              key: t.key("delete", svc.name, svc.from),
              service: svc.name,
              version: svc.from,
            })
          : t.ensure({
              kind: ActionKind.ScaleVersion,
              key: t.key("scale", svc.name, svc.from, 0),
              service: svc.name,
              version: svc.from,
              replicas: 0,
            }),
      );
      if (!done.every(Boolean)) {
        t.wait("ScalingOld", "scaling old down");
        return;
      }
      t.go(Stage.OldEndpointsGone);
      finalizing(t);
      return;
    }
    case Stage.OldEndpointsGone: {
      const listed = endpointsStillListed(t, "from");
      if (listed.length > 0) {
        t.wait("OldEndpointsListed", `some proxy still lists an endpoint of ${listNames(listed)}`);
        return;
      }
      t.go(Stage.FinalizeRoutes);
      finalizing(t);
      return;
    }
    case Stage.FinalizeRoutes:
      if (!routesConfirmed(t, intent(RouteMode.Finalized))) return;
      t.go(Stage.RemoveOldSubset);
      finalizing(t);
      return;
    case Stage.RemoveOldSubset: {
      const removed = t.spec.services.map((svc) =>
        t.ensure({
          kind: ActionKind.RemoveSubset,
          key: t.key("unsubset", svc.name, svc.from),
          service: svc.name,
          version: svc.from,
        }),
      );
      // The sentinel never matches, so its removal needs no confirmation.
      const clean = routesWritten(t, intent(RouteMode.Finalized, [], false));
      if (!removed.every(Boolean) || !clean) {
        t.wait("RemovingOld", "removing the old subset and the sentinel");
        return;
      }
      t.s.engine.pins = [];
      t.s.pinned = 0;
      t.enter(Phase.Succeeded, Stage.Done, "upgrade succeeded; old removed");
      return;
    }
    default:
      t.wait("UnknownStage", `stage ${e.stage} does not belong to Finalizing`);
  }
}
