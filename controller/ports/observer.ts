/**
 * The Observer port: everything the engine needs to know this tick (TraceManager data,
 * proxies' confirmations, endpoints, workloads, validation facts), gathered by a backend.
 */
import type { Observations, UpgradeSpec, UpgradeStatus } from "../engine/types.js";

/** Observations without what the reconciler itself adds (action results and user commands). */
export type GatheredObservations = Omit<Observations, "actionResults" | "commands">;

/** Gathers observations for one upgrade. */
export interface Observer {
  observe(
    upgradeId: string,
    spec: UpgradeSpec,
    status: UpgradeStatus,
    now: number,
  ): Promise<GatheredObservations>;
  /** Transactions declared lost (past maxTransactionAge, old idle): their records stop counting. */
  declareLost(upgradeId: string, ids: readonly string[]): Promise<void>;
}
