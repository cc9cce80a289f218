/** What the reconciler contributes to a controller's readiness (GET /readyz). */
import type { Reconciler } from "./reconciler.js";

/** Why the controller is not ready: its Upgrade watch is failing (it retries meanwhile). */
export function notReadyReasons(reconciler: Pick<Reconciler, "watchFailure">): readonly string[] {
  const failure = reconciler.watchFailure;
  return failure === null ? [] : [`the Upgrade watch is failing and being retried: ${failure.message}`];
}
