/** What the reconciler contributes to a controller's readiness (GET /readyz). */
import type { Reconciler } from "./reconciler.js";

/**
 * Why the controller is not ready: its Upgrade watch is failing, or listing Upgrades is (it
 * retries both meanwhile, the list with a growing wait).
 */
export function notReadyReasons(
  reconciler: Pick<Reconciler, "watchFailure" | "listFailure">,
): readonly string[] {
  const reasons: string[] = [];
  const watch = reconciler.watchFailure;
  if (watch !== null) reasons.push(`the Upgrade watch is failing and being retried: ${watch.message}`);
  const list = reconciler.listFailure;
  if (list !== null) {
    reasons.push(
      `listing Upgrades failed ${list.failures} time(s) in a row, retrying in ${Math.ceil(list.retryInMs / 1000)} s: ${list.error.message}`,
    );
  }
  return reasons;
}
