/**
 * The Observer port: everything the engine needs to know this tick (TraceManager data,
 * proxies' confirmations, endpoints, workloads, validation facts, metric queries), gathered
 * by a backend.
 */
import type { Observations, UpgradeStatus } from "../engine/types.js";
import type { UpgradeRef } from "./router.js";

/** Observations without what the reconciler itself adds (action results and user commands). */
export type GatheredObservations = Omit<Observations, "actionResults" | "commands">;

/** Gathers observations for one upgrade. */
export interface Observer {
  observe(upgrade: UpgradeRef, status: UpgradeStatus, now: number): Promise<GatheredObservations>;
  /**
   * Transactions declared lost (past maxTransactionAge while old is idle): from now on they are
   * left out of the upgrade's pin candidates. The engine keeps the ids in its status too, so a
   * restarted controller leaves them out as well.
   */
  declareLost(upgrade: UpgradeRef, ids: readonly string[]): Promise<void>;
}
