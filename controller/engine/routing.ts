/**
 * The two confirmed changes every routing step is made of (§4.7): write the routes at a new
 * epoch and wait until every proxy reports it, or publish a weight version and wait until
 * every gateway applies it; then wait the grace period. Both are idempotent across restarts:
 * the epoch and weight version are allocated once and persisted with the intent.
 */
import { RouteMode } from "./phases.js";
import { listNames, unconfirmedEpoch, unconfirmedWeight } from "./proxies.js";
import type { Tick } from "./tick.js";
import { ActionKind, type RoutePlanIntent } from "./types.js";

/** True when two intents plan the same routes. */
export function sameIntent(a: RoutePlanIntent, b: RoutePlanIntent): boolean {
  return (
    a.mode === b.mode &&
    a.sentinel === b.sentinel &&
    (a.stamps ?? false) === (b.stamps ?? false) &&
    a.pins.length === b.pins.length &&
    a.pins.every((id, i) => b.pins[i] === id)
  );
}

/** The idempotency key of the routes write at `epoch`. */
export function routesKey(t: Tick, epoch: number): string {
  return t.key("routes", `e${epoch}`);
}

/** Write `intent` (once) and report whether it has been written, i.e. acknowledged. */
export function routesWritten(t: Tick, intent: RoutePlanIntent): boolean {
  const e = t.s.engine;
  if (!sameIntent(e.routes, intent)) {
    t.s.configEpoch += 1;
    e.routes = {
      mode: intent.mode,
      sentinel: intent.sentinel,
      pins: [...intent.pins],
      ...(intent.stamps === true ? { stamps: true } : {}),
    };
    e.confirmedAt = null;
    t.push({
      kind: ActionKind.WriteRoutes,
      key: routesKey(t, t.s.configEpoch),
      epoch: t.s.configEpoch,
      intent,
    });
    return t.wait("WritingRoutes", `writing routes at epoch ${t.s.configEpoch}`);
  }
  if (t.isPending(routesKey(t, t.s.configEpoch))) {
    return t.wait("WritingRoutes", `writing routes at epoch ${t.s.configEpoch}`);
  }
  return true;
}

/** Write `intent` and wait until every live proxy reports its epoch, plus the grace period. */
export function routesConfirmed(t: Tick, intent: RoutePlanIntent): boolean {
  if (!routesWritten(t, intent)) return false;
  const epoch = t.s.configEpoch;
  // Already confirmed and past its grace period in an earlier stage.
  if (epoch <= t.s.engine.confirmedEpoch) return true;
  const live = t.obs.pods.filter((p) => !p.terminating);
  const lagging = unconfirmedEpoch(t.obs.pods, epoch, t.cfg);
  t.s.confirmed = { ready: live.length - lagging.length, total: live.length };
  if (live.length === 0) {
    t.s.engine.confirmedAt = null;
    return t.wait("NoProxies", `no proxy reports for this upgrade yet; waiting to confirm epoch ${epoch}`);
  }
  if (lagging.length > 0) {
    t.s.engine.confirmedAt = null;
    return t.wait(
      "Unconfirmed",
      `${lagging.length} of ${live.length} proxies have not confirmed epoch ${epoch}: ${listNames(lagging)}`,
    );
  }
  t.s.engine.confirmedAt ??= t.now;
  if (t.now - t.s.engine.confirmedAt < t.cfg.graceMs) {
    return t.wait("Grace", `epoch ${epoch} confirmed; waiting the grace period`);
  }
  t.s.engine.confirmedEpoch = epoch;
  return true;
}

/** Publish `weight` (once) and wait until every live gateway applies its version, plus the grace period. */
export function weightConfirmed(t: Tick, weight: number): boolean {
  const s = t.s;
  // Weight 0 with version 0 was never published: gateways enrol nobody.
  if (weight === 0 && s.weightVersion === 0) return true;
  const key = t.key("weight", `v${s.weightVersion}`);
  if (s.weight !== weight) {
    s.weightVersion += 1;
    s.weight = weight;
    s.engine.confirmedAt = null;
    t.push({
      kind: ActionKind.SetWeight,
      key: t.key("weight", `v${s.weightVersion}`),
      weight,
      weightVersion: s.weightVersion,
    });
    return t.wait("SettingWeight", `publishing weight ${weight}% (version ${s.weightVersion})`);
  }
  if (t.isPending(key))
    return t.wait("SettingWeight", `publishing weight ${weight}% (version ${s.weightVersion})`);
  const gateways = t.obs.pods.filter((p) => !p.terminating && p.role === "gateway");
  const lagging = unconfirmedWeight(t.obs.pods, s.weightVersion, t.cfg);
  s.confirmed = { ready: gateways.length - lagging.length, total: gateways.length };
  if (gateways.length === 0) {
    s.engine.confirmedAt = null;
    return t.wait("NoGateways", `no gateway reports for this upgrade; waiting to confirm weight ${weight}%`);
  }
  if (lagging.length > 0) {
    s.engine.confirmedAt = null;
    return t.wait(
      "WeightUnconfirmed",
      `${lagging.length} of ${gateways.length} gateways do not apply weight ${weight}% (version ${s.weightVersion}) yet: ${listNames(lagging)}`,
    );
  }
  s.engine.confirmedAt ??= t.now;
  if (t.now - s.engine.confirmedAt < t.cfg.graceMs) {
    return t.wait("Grace", `weight ${weight}% confirmed at every gateway; waiting the grace period`);
  }
  return true;
}

/**
 * The routes intent for a mode with the sentinel kept and the current pins; `stamps` adds the
 * gateway stamps (ADR 0090), which only the door-open and flipped modes carry.
 */
export function intent(
  mode: RoutePlanIntent["mode"],
  pins: readonly string[] = [],
  sentinel = true,
  stamps = false,
): RoutePlanIntent {
  const stamped = stamps && (mode === RouteMode.DoorOpen || mode === RouteMode.Flipped);
  return {
    mode,
    sentinel: mode === RouteMode.None ? false : sentinel,
    pins,
    ...(stamped ? { stamps: true } : {}),
  };
}
