/**
 * The Validating facts about other Upgrades (pure, the same rules for every backend): the
 * non-terminal Upgrades of the same namespace with the services they hold (services are
 * namespaced, so only those can overlap), and an active Upgrade of any namespace that holds
 * this one's enrolment id (mesh-wide), named `namespace/name`.
 */
import { TERMINAL_PHASES } from "../engine/phases.js";
import type { ValidationFacts } from "../engine/types.js";
import type { UpgradeRef } from "../ports/router.js";
import { keyString, type UpgradeRecord } from "../ports/upgrade-store.js";

/** `otherActiveUpgrades` and `enrolmentIdHolder` for `upgrade`, from every stored Upgrade. */
export function activeUpgradeFacts(
  upgrade: Pick<UpgradeRef, "id" | "namespace">,
  records: readonly UpgradeRecord[],
): Pick<ValidationFacts, "otherActiveUpgrades" | "enrolmentIdHolder"> {
  const others = records.filter(
    (u) =>
      !TERMINAL_PHASES.includes(u.status.phase) &&
      !(u.namespace === upgrade.namespace && u.id === upgrade.id),
  );
  const otherActiveUpgrades = others
    .filter((u) => u.namespace === upgrade.namespace)
    .map((u) => ({ id: u.name, services: u.spec.services.map((s) => s.name) }));
  const holder = others.find((u) => u.id === upgrade.id);
  return { otherActiveUpgrades, ...(holder !== undefined ? { enrolmentIdHolder: keyString(holder) } : {}) };
}
