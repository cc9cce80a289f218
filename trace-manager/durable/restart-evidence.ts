import type { PodReport, TraceStore } from "../store/port.js";
import type { EnvoySource } from "../heartbeat/envoy-source.js";
import type { RestartEvidence } from "./restart-proof.js";

/** How long a start waits for the store and Envoy before it counts them unreadable. */
const READ_TIMEOUT_MS = 2_000;

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * Reads, before the TraceManager serves anything, what `unprovenRestart` judges: the pod's last
 * report in the store and Envoy's figures. A read that fails is recorded as the reason nothing can
 * be proven.
 */
export async function readRestartEvidence(
  store: Pick<TraceStore, "pods">,
  envoy: EnvoySource | null,
  pod: string,
  now: number,
): Promise<RestartEvidence> {
  let previous: PodReport | undefined;
  try {
    previous = (await within(store.pods(), READ_TIMEOUT_MS, "the store")).find((p) => p.pod === pod);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { previous: undefined, envoy: null, unreadable: `the pod's last report cannot be read: ${why}` };
  }
  if (envoy === null) return { previous, envoy: null, unreadable: null };
  try {
    return {
      previous,
      envoy: await within(envoy.figures(now), READ_TIMEOUT_MS, "Envoy admin"),
      unreadable: null,
    };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { previous, envoy: null, unreadable: `Envoy's figures cannot be read: ${why}` };
  }
}
