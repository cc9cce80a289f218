import type { Expiry, TraceStore } from "./port.js";

/** Timers the sweeper uses; injected so tests step time themselves. */
export interface SweeperTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** Options of `startSweeper`. */
export interface SweeperOptions {
  /** How often to sweep; one bucket width is enough, since buckets expire whole. */
  readonly intervalMs: number;
  readonly clock?: () => number;
  readonly timers?: SweeperTimers;
  /** Called with the active records each sweep dropped (non-empty only). */
  readonly onExpiries?: (expiries: readonly Expiry[]) => void;
  /** Called when a sweep fails (the next tick tries again). */
  readonly onError?: (err: unknown) => void;
}

/** A running sweeper. */
export interface Sweeper {
  /** Runs one sweep now (also what each tick does); never rejects. */
  tick(): Promise<void>;
  /** Stops ticking and waits for a sweep in progress. */
  stop(): Promise<void>;
}

/**
 * Sweeps a store periodically, so expired buckets are reported and dropped (the memory store
 * holds them until swept; Redis drops unswept buckets by TTL one maxAge later, unreported).
 * Ticks never overlap; concurrent sweepers in other processes are safe (each expiry is reported
 * once by whichever sweeps first).
 */
export function startSweeper(store: TraceStore, options: SweeperOptions): Sweeper {
  const clock = options.clock ?? Date.now;
  const timers: SweeperTimers = options.timers ?? {
    setInterval: (fn, ms) => setInterval(fn, ms).unref(),
    clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
  };
  let running: Promise<void> | undefined;
  const tick = (): Promise<void> => {
    running ??= (async () => {
      try {
        const expired = await store.sweep(clock());
        if (expired.length > 0) options.onExpiries?.(expired);
      } catch (err) {
        options.onError?.(err);
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const handle = timers.setInterval(() => void tick(), options.intervalMs);
  return {
    tick,
    stop: async () => {
      timers.clearInterval(handle);
      await running;
    },
  };
}
