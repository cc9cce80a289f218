/**
 * Timing proxies for the controller's ports: every method call of a wrapped port adds its
 * duration (until its promise settles) and one call to the port's entry. The product code is
 * not touched; the benchmark reads and resets the entries around each reconcile.
 */

/** Time (ms) and calls per port since the last reset. */
export type PortTimings = Map<string, { ms: number; calls: number }>;

/** `port` with every method timed into `timings` under `name`. */
export function timed<T extends object>(port: T, name: string, timings: PortTimings): T {
  return new Proxy(port, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]): unknown => {
        const start = performance.now();
        const note = (): void => {
          const entry = timings.get(name) ?? { ms: 0, calls: 0 };
          entry.ms += performance.now() - start;
          entry.calls += 1;
          timings.set(name, entry);
        };
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (result instanceof Promise) return result.finally(note);
        note();
        return result;
      };
    },
  });
}

/** The p-th percentile (0–100) of `values` (nearest rank), 0 when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? 0;
}
