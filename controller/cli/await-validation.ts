/**
 * `tranquil upgrade` without `--watch`: the controller checks a new upgrade against the mesh
 * (Validating, DESIGN §4.1) only after it was created, so a created upgrade can still be
 * refused a moment later (an unknown service, a missing `from` Deployment). The command
 * follows the upgrade's status until it leaves Validating, so its exit status tells the truth.
 */
import type { UpgradeView } from "../api/view.js";
import type { UpgradesClient } from "./upgrades-client.js";

/** How long `upgrade` waits for the controller to validate a new upgrade. */
export const VALIDATION_TIMEOUT_MS = 30_000;

/** How validation ended, as far as the CLI could see. */
export type ValidationOutcome =
  /** The upgrade left Validating: `view` is the first status after it. */
  | { readonly kind: "validated"; readonly view: UpgradeView }
  /** The controller refused it in Validating (phase Failed); `reason` says why. */
  | { readonly kind: "refused"; readonly view: UpgradeView; readonly reason: string }
  /** Still Validating when the time ran out; `view` is the last status seen, if any. */
  | { readonly kind: "timedOut"; readonly view: UpgradeView | undefined };

/** True when `view` is an upgrade the controller refused while validating it. */
export function refusedInValidation(view: UpgradeView): boolean {
  return (
    view.status.phase === "Failed" &&
    view.status.conditions.some((c) => c.type === "Invalid" && c.status === "True")
  );
}

/** Why a refused upgrade was refused: its Failed (or Invalid) condition's message. */
export function refusalReason(view: UpgradeView): string {
  const condition =
    view.status.conditions.find((c) => c.type === "Failed" && c.status === "True") ??
    view.status.conditions.find((c) => c.type === "Invalid" && c.status === "True");
  return condition?.message ?? view.status.history.at(-1)?.message ?? "no reason recorded";
}

/**
 * Follows `name`'s status stream until it leaves Validating, or `timeoutMs` passes. A stream
 * error (the controller went away) propagates; `signal` (Ctrl-C) aborts the wait.
 */
export async function awaitValidation(
  client: UpgradesClient,
  name: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<ValidationOutcome> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const stop = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
  let last: UpgradeView | undefined;
  try {
    for await (const view of client.events(name, stop)) {
      last = view;
      if (view.status.phase === "Validating") continue;
      if (view.status.phase === "Failed") return { kind: "refused", view, reason: refusalReason(view) };
      return { kind: "validated", view };
    }
  } catch (err) {
    if (!timeout.aborted || signal?.aborted === true) throw err;
  }
  if (signal?.aborted === true) throw new DOMException("interrupted", "AbortError");
  return { kind: "timedOut", view: last };
}
