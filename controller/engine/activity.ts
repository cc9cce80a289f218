/**
 * Activity at `old` for Draining (§4.4): pin candidates, lost transactions, pin idleness and
 * the tranquil test's counters. Pure functions over the observations and the engine state.
 */
import type { UpgradeSpec } from "../upgrade-spec/schema.js";
import type { Effective } from "./effective.js";
import type { Draft } from "./tick.js";
import type { EngineState, Observations, Pin, TransactionObservation } from "./types.js";

/** Transactions active at any `old` of the train that are neither pinned nor declared lost. */
export function pinCandidates(obs: Observations, engine: Draft<EngineState>): TransactionObservation[] {
  const pinned = new Set(engine.pins.map((p) => p.id));
  const lost = new Set(engine.lost);
  return obs.transactions.filter((tx) => tx.activeCallsAtOld > 0 && !pinned.has(tx.id) && !lost.has(tx.id));
}

/** True when every `old` of the train reports Envoy ground truth, all zero. */
export function oldEnvoyIdle(spec: UpgradeSpec, obs: Observations): boolean {
  return spec.services.every((svc) => obs.services[svc.name]?.versions[svc.from]?.envoyActive === 0);
}

/** Sum of TraceManager active-call counters over every `old`, and the oldest active age. */
export function oldActivity(
  spec: UpgradeSpec,
  obs: Observations,
): { calls: number; oldestAgeSeconds: number } {
  let calls = 0;
  let oldestAgeSeconds = 0;
  for (const svc of spec.services) {
    const v = obs.services[svc.name]?.versions[svc.from];
    if (v === undefined) continue;
    calls += v.activeCalls;
    oldestAgeSeconds = Math.max(oldestAgeSeconds, v.oldestActiveAgeSeconds);
  }
  return { calls, oldestAgeSeconds };
}

/** Which services' `old` still shows activity (counters or Envoy, or no data at all). */
export function busyOld(spec: UpgradeSpec, obs: Observations): string[] {
  return spec.services
    .filter((svc) => {
      const v = obs.services[svc.name]?.versions[svc.from];
      return v === undefined || v.activeCalls > 0 || v.envoyActive !== 0;
    })
    .map((svc) => `${svc.name}@${svc.from}`);
}

/**
 * Transactions past maxTransactionAge, declared lost only while every `old` reports no active
 * request to Envoy (a long gRPC stream is active, hence not lost).
 */
export function lostCandidates(
  spec: UpgradeSpec,
  obs: Observations,
  engine: Draft<EngineState>,
  now: number,
  cfg: Effective,
): string[] {
  if (!oldEnvoyIdle(spec, obs)) return [];
  const lost = new Set(engine.lost);
  return obs.transactions
    .filter((tx) => !lost.has(tx.id) && now - tx.startedAt > cfg.maxTransactionAgeMs)
    .map((tx) => tx.id);
}

/** Refresh each pin's last activity from the observations (activity anywhere in the train). */
export function refreshPins(pins: Draft<Pin>[], obs: Observations): void {
  const seen = new Map(obs.transactions.map((tx) => [tx.id, tx]));
  for (const pin of pins) {
    const tx = seen.get(pin.id);
    if (tx !== undefined) pin.lastSeenAt = Math.max(pin.lastSeenAt, tx.lastSeenAt);
  }
}

/** Pins still in use: activity within the pin idle time, unless declared lost. */
export function busyPins(
  pins: readonly Draft<Pin>[],
  engine: Draft<EngineState>,
  obs: Observations,
  now: number,
  cfg: Effective,
): string[] {
  const lost = new Set(engine.lost);
  const active = new Set(obs.transactions.filter((tx) => tx.activeCallsAtOld > 0).map((tx) => tx.id));
  return pins
    .filter((p) => !lost.has(p.id) && (active.has(p.id) || now - p.lastSeenAt < cfg.pinIdleMs))
    .map((p) => p.id);
}
