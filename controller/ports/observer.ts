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
   * Transactions declared lost (past maxTransactionAge, old idle). The engine also keeps them
   * in `status.engine.lost`; `observe` leaves them out of activity, oldest age and
   * transactions. A backend may record them (the TraceObserver writes nothing).
   */
  declareLost(upgrade: UpgradeRef, ids: readonly string[]): Promise<void>;
}
