import type { DelayDistribution, DelayRange, Timers } from "./types.js";

/** Istio-like push delay: uniform 50–500 ms. */
export const DEFAULT_PUSH_DELAY: DelayDistribution = { minMs: 50, maxMs: 500 };

/** Envoy main-thread → worker-thread lag: uniform 20–100 ms. */
export const DEFAULT_WORKER_LAG: DelayRange = { minMs: 20, maxMs: 100 };

/** Node's timers. */
export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => {
    clearTimeout(h as NodeJS.Timeout);
  },
};

function uniform(r: DelayRange, random: () => number): number {
  return r.minMs + (r.maxMs - r.minMs) * random();
}

/** Draws one delay: from `tail` with its probability, else uniform in [minMs, maxMs]. */
export function drawDelay(d: DelayDistribution, random: () => number): number {
  if (d.tail !== undefined && d.tail.probability > 0 && random() < d.tail.probability) {
    return uniform(d.tail, random);
  }
  return uniform(d, random);
}
