/**
 * How a per-pod TraceManager's Node process is started. One runs in every pod, so its resident
 * memory counts more than its peak speed (ADR 0009). The benchmark starts the TraceManager (and
 * its no-op floor) with exactly these, and a pod's container command should too:
 *
 * `MALLOC_ARENA_MAX=1 node --max-semi-space-size=1 --max-old-space-size=48 --optimize-for-size
 *  --single-threaded-gc --v8-pool-size=1 trace-manager/main.js`
 *
 * Several of these V8 flags are not allowed in `NODE_OPTIONS`, so they go on the command line.
 */

/**
 * Node/V8 flags for a sidecar:
 * - a 1 MB young generation and a 48 MB cap on the old one (the live heap idles near 10 MB;
 *   the cap leaves room for full record buffers during a store outage);
 * - `--optimize-for-size`: V8 grows the heap more conservatively and favours small code;
 * - `--single-threaded-gc` and `--v8-pool-size=1`: no pool of GC and compiler threads, each with
 *   its own stack and malloc arena, on a pod that shares its CPUs with the application and Envoy.
 */
export const SIDECAR_NODE_FLAGS = [
  "--max-semi-space-size=1",
  "--max-old-space-size=48",
  "--optimize-for-size",
  "--single-threaded-gc",
  "--v8-pool-size=1",
] as const;

/**
 * Environment for the sidecar's Node process: one glibc malloc arena (the default is eight per
 * core, and arenas each keep freed memory resident). It must be set before the process starts.
 */
export const SIDECAR_NODE_ENV = { MALLOC_ARENA_MAX: "1" } as const;

/** The sidecar flags missing from a process's `execArgv`. */
export function missingSidecarFlags(execArgv: readonly string[]): string[] {
  return SIDECAR_NODE_FLAGS.filter((f) => !execArgv.includes(f));
}
