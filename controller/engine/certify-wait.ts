/**
 * Waits on pods whose records are not certified past an instant (their watermark is behind
 * it). A pod that is dirty or stale is trouble the controller does not control; a clean pod
 * whose watermark only lags is certified by its next report. The two are told apart, so that
 * the Waiting condition and the wait log (G3, ADR 0093) say which one the drain waited for.
 */
import { dirtyOrStale, listNames } from "./proxies.js";
import type { Tick } from "./tick.js";

/** The Waiting reason while clean pods' next reports certify an instant. */
export const CERTIFYING = "Certifying";

/**
 * Waits on `unclean` (names from `notCleanPast`): under `reason` with `message` when one of
 * them is dirty or stale, else under {@link CERTIFYING}, naming the instant (`past`).
 */
export function waitUncertified(
  t: Tick,
  unclean: readonly string[],
  past: string,
  reason: string,
  message: string,
): false {
  const troubled = new Set(dirtyOrStale(t.obs.pods, t.cfg));
  if (unclean.some((name) => troubled.has(name))) return t.wait(reason, message);
  return t.wait(
    CERTIFYING,
    `${listNames(unclean)} are clean; waiting for their next reports to certify their records past ${past}`,
  );
}
