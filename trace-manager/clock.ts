/** Injected time source (epoch milliseconds). */
export type Clock = () => number;

/** Injected timers, so tests drive time. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): { unref?: () => unknown };
  clearTimeout(handle: unknown): void;
}

/** The process clock. */
export const systemClock: Clock = () => Date.now();
/** The process timers. */
export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};
