/**
 * The demo's timings: DESIGN §4.9's defaults shortened so that two upgrades finish in about two
 * minutes on a 2-core machine, while keeping every mechanism (push delays with a long tail,
 * grace periods, settle windows, analysis windows) in play.
 */
import { makeSettings, type Settings } from "../../engine/settings.js";
import type { DelayDistribution, DelayRange } from "../../../istio/local-mesh/control-plane/types.js";
import { CONFIG_DEFAULTS } from "../../../trace-manager/config.js";
import { g3Bound, type G3Bound } from "./g3-bound.js";

/** Everything timing-related the demo configures. */
export interface DemoTimings {
  readonly settings: Settings;
  readonly reconcileIntervalMs: number;
  readonly traceManagerHeartbeatMs: number;
  readonly pushDelay: DelayDistribution;
  readonly workerLag: DelayRange;
  readonly steps: readonly number[];
  readonly stepInterval: string;
  readonly bound: G3Bound;
}

/** The demo's push delays: 50–400 ms, and one push in twenty takes 0.8–1.5 s. */
export const DEMO_PUSH_DELAY: DelayDistribution = {
  minMs: 50,
  maxMs: 400,
  tail: { probability: 0.05, minMs: 800, maxMs: 1_500 },
};

/** Timings for a full or a quick demo (the tests pass harsher push delays). */
export function demoTimings(quick: boolean, pushDelay: DelayDistribution = DEMO_PUSH_DELAY): DemoTimings {
  const traceManagerHeartbeatMs = 250;
  const reconcileIntervalMs = 250;
  const workerLag: DelayRange = { minMs: 20, maxMs: 80 };
  const settings = makeSettings({
    heartbeatMs: 500,
    staleAfterHeartbeats: 6,
    graceMs: 500,
    settleMs: 1_000,
    pinIdleMs: 3_000,
    alsFlushMs: 1_000,
    analysisIntervalMs: quick ? 2_000 : 5_000,
    pinWriteIntervalMs: 500,
  });
  const maxPushMs = (pushDelay.tail?.maxMs ?? pushDelay.maxMs) + workerLag.maxMs;
  return {
    settings,
    reconcileIntervalMs,
    traceManagerHeartbeatMs,
    pushDelay,
    workerLag,
    steps: quick ? [50, 100] : [10, 50, 100],
    stepInterval: quick ? "2s" : "5s",
    bound: g3Bound({
      reconcileIntervalMs,
      heartbeatMs: settings.heartbeatMs,
      settleMs: settings.settleMs,
      alsFlushMs: settings.alsFlushMs,
      maxPushMs,
      graceMs: settings.graceMs,
      endpointRemovalMs: maxPushMs,
      pinIdleMs: settings.pinIdleMs,
      watermarkLagMs: CONFIG_DEFAULTS.watermarkLagMs,
    }),
  };
}
