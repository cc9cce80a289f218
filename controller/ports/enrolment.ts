/**
 * The Enrolment port: publishes an upgrade's versioned enrolment weight to the gateway
 * TraceManagers (through their shared store) and asks TraceManagers to report config epochs.
 */

/** Publishing weights. */
export interface Enrolment {
  /** Sets the weight (percent) at `weightVersion` for the upgrade's hosts. Idempotent. */
  setWeight(
    upgradeId: string,
    hosts: readonly string[],
    weight: number,
    weightVersion: number,
  ): Promise<void>;
  /**
   * Makes the upgrade known to every TraceManager (weight 0 until set), so that they report
   * config epochs for its hosts from Preparing on. Idempotent.
   */
  watch(upgradeId: string, hosts: readonly string[]): Promise<void>;
  /** Forgets the upgrade once it has ended: gateways stop enrolling for it. */
  remove(upgradeId: string): Promise<void>;
}
