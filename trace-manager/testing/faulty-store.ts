import type { TraceStore } from "../store/port.js";

/** Write methods a fault can hit. */
const WRITES = [
  "recordCallStarts",
  "recordCallEnds",
  "recordOutbound",
  "recordIngressStarts",
  "recordIngressEnds",
] as const;

/**
 * Wraps a real store and injects faults into its writes: `down` rejects them (as an unreachable
 * Redis does), `delayMs` holds them (a slow store). Everything else passes through.
 */
export function faultyStore(inner: TraceStore): TraceStore & { down: boolean; delayMs: number } {
  const state = { down: false, delayMs: 0 };
  const wrapped = Object.create(inner) as TraceStore & { down: boolean; delayMs: number };
  for (const name of WRITES) {
    const original = inner[name].bind(inner) as (batch: readonly unknown[]) => Promise<unknown>;
    (wrapped as unknown as Record<string, unknown>)[name] = async (batch: readonly unknown[]) => {
      if (state.delayMs > 0) await new Promise((r) => setTimeout(r, state.delayMs));
      if (state.down) throw new Error(`injected fault: ${name} unavailable`);
      return original(batch);
    };
  }
  Object.defineProperty(wrapped, "down", { get: () => state.down, set: (v: boolean) => (state.down = v) });
  Object.defineProperty(wrapped, "delayMs", {
    get: () => state.delayMs,
    set: (v: number) => (state.delayMs = v),
  });
  return wrapped;
}
