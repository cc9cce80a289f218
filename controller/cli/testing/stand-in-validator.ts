/**
 * Test support: the controller's Validating step over a store, for CLI tests that create
 * upgrades with no controller running. It runs the engine's own checks
 * (`validationProblems`, controller/engine/phase-validating.ts) against stand-in facts in
 * which every service exists with its `from` Deployment unless `exists` says otherwise, and
 * writes the status the engine would: Preparing, or Failed with the Invalid and Failed
 * conditions. It mirrors the engine's refusal messages, not its later phases.
 */
import { validationProblems } from "../../engine/phase-validating.js";
import type { ServiceFacts, UpgradeStatus, ValidationFacts } from "../../engine/types.js";
import { UpgradeConflictError, type UpgradeKey, type UpgradeStore } from "../../ports/upgrade-store.js";

/** What the stand-in validator sees. */
export interface StandInMesh {
  /** Whether the cluster has this service (with its `from` Deployment). */
  exists(service: string): boolean;
  /** Upgrades it leaves in Validating, as a controller that is not running would. */
  ignores?(upgradeName: string): boolean;
}

/** Starts validating every new upgrade of `store`; returns the function that stops it. */
export function startStandInValidator(store: UpgradeStore, mesh: StandInMesh): () => void {
  return store.watch({
    onEvent: (event) => {
      if (event.type !== "ADDED" || mesh.ignores?.(event.upgrade.name) === true) return;
      void validate(store, event.upgrade, (s) => mesh.exists(s)).catch(() => undefined);
    },
  });
}

async function validate(store: UpgradeStore, key: UpgradeKey, exists: (service: string) => boolean) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await store.get(key);
    if (current.status.phase !== "Validating") return;
    const facts: ValidationFacts = {
      services: Object.fromEntries(
        current.spec.services
          .filter((s) => exists(s.name))
          .map((s): [string, ServiceFacts] => [
            s.name,
            {
              exists: true,
              headless: false,
              tcpPorts: [],
              versions: [s.from],
              subsets: [s.from],
              oldSelectorHasVersion: true,
              gitOpsSelfHeal: false,
            },
          ]),
      ),
      otherActiveUpgrades: [],
      meshProblems: [],
    };
    const problems = validationProblems(current.spec, facts, current.id);
    const now = Date.now();
    const status: UpgradeStatus =
      problems.length > 0
        ? {
            ...current.status,
            phase: "Failed",
            conditions: [
              condition("Invalid", "Refused", problems.join("; "), now),
              condition("Failed", "Refused", problems.join("; "), now),
            ],
            history: [
              ...current.status.history,
              { at: now, phase: "Failed", stage: "done", message: problems.join("; ") },
            ],
            engine: { ...current.status.engine, stage: "done", stageSince: now },
          }
        : {
            ...current.status,
            phase: "Preparing",
            conditions: [condition("Invalid", "Valid", "spec and mesh shape accepted", now, "False")],
            history: [
              ...current.status.history,
              { at: now, phase: "Preparing", stage: "ensureOldSubset", message: "validated; holding old" },
            ],
            engine: { ...current.status.engine, stage: "ensureOldSubset", stageSince: now },
          };
    try {
      await store.updateStatus(current, current.resourceVersion, status);
      return;
    } catch (err) {
      if (!(err instanceof UpgradeConflictError)) throw err;
    }
  }
}

function condition(
  type: "Invalid" | "Failed",
  reason: string,
  message: string,
  at: number,
  status: "True" | "False" = "True",
) {
  return { type, status, reason, message, lastTransitionTime: at };
}
