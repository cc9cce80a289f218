/**
 * Starts the notifier a controller's settings ask for, or none: the one call each controller
 * (local, cluster) makes. It reads long waits back from the controller's upgrade store.
 */
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { UpgradeStore } from "../ports/upgrade-store.js";
import { Notifier } from "./notifier.js";
import { notifiesAnywhere, type NotifySettings } from "./notify-config.js";

/** What {@link startNotifier} wires the notifier to. */
export interface NotifierWiring {
  /** The controller's metrics registry. */
  readonly registry: Registry;
  readonly logger: Logger;
  readonly store: Pick<UpgradeStore, "get">;
  readonly clock?: () => number;
  /** Whether this replica acts (leads); default always. */
  readonly active?: () => boolean;
}

/** A notifier for these settings, or undefined when they name no target or no kind. */
export function startNotifier(
  settings: NotifySettings | undefined,
  wiring: NotifierWiring,
): Notifier | undefined {
  if (settings === undefined || !notifiesAnywhere(settings)) return undefined;
  return new Notifier({
    settings,
    registry: wiring.registry,
    logger: wiring.logger.child({ component: "notify" }),
    lookup: async (key) => (await wiring.store.get(key)).status,
    ...(wiring.clock !== undefined ? { clock: wiring.clock } : {}),
    ...(wiring.active !== undefined ? { active: wiring.active } : {}),
  });
}
