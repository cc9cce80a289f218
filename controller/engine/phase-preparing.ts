/**
 * Preparing (§4.2): hold `old` (its subset, then the sentinel and non-enrolled clones,
 * confirmed), start `new` and see its healthy endpoints at every proxy, then open the door
 * (enrolled clones, confirmed).
 */
import { Phase, RouteMode, Stage } from "./phases.js";
import { isStale, listNames, livePods } from "./proxies.js";
import { intent, routesConfirmed } from "./routing.js";
import type { Tick } from "./tick.js";
import { ActionKind } from "./types.js";

/** Services whose `version` is not yet healthy at every proxy (missing data counts as not healthy). */
export function endpointsNotHealthyEverywhere(t: Tick, which: "from" | "to"): string[] {
  return t.spec.services
    .filter((svc) => {
      const v = t.obs.services[svc.name]?.versions[svc[which]];
      return v === undefined || v.endpoints.proxies === 0 || v.endpoints.healthyAt < v.endpoints.proxies;
    })
    .map((svc) => `${svc.name}@${svc[which]}`);
}

/**
 * Services where some proxy still lists an endpoint of `version`. Missing data counts as
 * listed, and while any live proxy is stale nothing counts as gone: its last report may
 * predate what it lists now (G4).
 */
export function endpointsStillListed(t: Tick, which: "from" | "to"): string[] {
  const stale = livePods(t.obs.pods).filter((p) => isStale(p, t.cfg));
  if (stale.length > 0) return stale.map((p) => `${p.name} (stale report)`);
  return t.spec.services
    .filter((svc) => {
      const v = t.obs.services[svc.name]?.versions[svc[which]];
      return v === undefined || v.endpoints.listedAt > 0;
    })
    .map((svc) => `${svc.name}@${svc[which]}`);
}

/**
 * Ensures every train service's `which` subset exists, then waits until every proxy lists a
 * healthy endpoint of it. True once both hold; otherwise it says what it waits for.
 */
function subsetsVisible(t: Tick, which: "from" | "to"): boolean {
  const done = t.spec.services.map((svc) =>
    t.ensure({
      kind: ActionKind.EnsureSubset,
      key: t.key("subset", svc.name, svc[which]),
      service: svc.name,
      version: svc[which],
    }),
  );
  if (!done.every(Boolean)) {
    return t.wait(
      "EnsuringSubsets",
      which === "from" ? "ensuring the old subsets exist" : "adding the new subsets",
    );
  }
  const missing = endpointsNotHealthyEverywhere(t, which);
  if (missing.length > 0) {
    return t.wait(
      which === "from" ? "OldEndpointsNotVisible" : "NewEndpointsNotVisible",
      `not every proxy lists a healthy endpoint of ${listNames(missing)} yet`,
    );
  }
  return true;
}

/** One Preparing tick. */
export function preparing(t: Tick): void {
  const e = t.s.engine;
  switch (e.stage) {
    case Stage.EnsureOldSubset: {
      if (!subsetsVisible(t, "from")) return;
      t.go(Stage.HoldOld);
      preparing(t);
      return;
    }
    case Stage.HoldOld:
      if (!routesConfirmed(t, intent(RouteMode.Held))) return;
      t.go(Stage.StartNew);
      preparing(t);
      return;
    case Stage.StartNew: {
      e.newStarted = true;
      const done = t.spec.services.map((svc) => {
        const old = t.obs.services[svc.name]?.versions[svc.from];
        return t.ensure({
          kind: ActionKind.EnsureVersion,
          key: t.key("version", svc.name, svc.to),
          service: svc.name,
          version: svc.to,
          fromVersion: svc.from,
          ...(svc.image === undefined ? {} : { image: svc.image }),
          replicas: Math.max(1, old?.desiredReplicas ?? 1),
        });
      });
      if (!done.every(Boolean)) {
        t.wait("StartingNew", "creating the new Deployments");
        return;
      }
      const notReady = t.spec.services
        .filter((svc) => {
          const v = t.obs.services[svc.name]?.versions[svc.to];
          return v === undefined || v.readyReplicas < Math.max(1, v.desiredReplicas);
        })
        .map((svc) => `${svc.name}@${svc.to}`);
      if (notReady.length > 0) {
        t.wait("NewNotReady", `waiting for ${listNames(notReady)} to be Ready`);
        return;
      }
      e.instants.newStartedAt ??= t.now;
      t.go(Stage.AddNewSubset);
      preparing(t);
      return;
    }
    case Stage.AddNewSubset: {
      e.newSubsetAdded = true;
      if (!subsetsVisible(t, "to")) return;
      t.go(Stage.OpenDoor);
      preparing(t);
      return;
    }
    case Stage.OpenDoor:
      if (!routesConfirmed(t, intent(RouteMode.DoorOpen))) return;
      e.instants.doorOpenAt = t.now;
      t.s.step = e.promoted ? t.cfg.steps.length - 1 : 0;
      t.enter(Phase.Shifting, Stage.SetWeight, "door open; shifting enrolment");
      return;
    default:
      t.wait("UnknownStage", `stage ${e.stage} does not belong to Preparing`);
  }
}
