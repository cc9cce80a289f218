/**
 * The Enrolment port over the trace store: the controller writes the upgrade's weight there,
 * and the gateway TraceManagers read it (cached briefly) and report the version they apply.
 * While an upgrade is active, every TraceManager also reports its config epochs for it.
 */
import type { Enrolment } from "../ports/enrolment.js";
import type { TraceStore } from "../../trace-manager/store/port.js";

/** Enrolment through the shared trace store. */
export class TraceStoreEnrolment implements Enrolment {
  constructor(
    private readonly traceStore: TraceStore,
    private readonly clock: () => number = Date.now,
  ) {}

  async setWeight(
    upgradeId: string,
    hosts: readonly string[],
    weight: number,
    weightVersion: number,
  ): Promise<void> {
    await this.traceStore.putUpgrade({
      id: upgradeId,
      hosts,
      weight,
      weightVersion,
      watchEpochs: true,
      at: this.clock(),
    });
  }

  /** Keeps epoch reports coming before the first weight is set (Preparing confirms routes too). */
  async watch(upgradeId: string, hosts: readonly string[]): Promise<void> {
    const existing = (await this.traceStore.listUpgrades()).find((u) => u.id === upgradeId);
    if (existing !== undefined) return;
    await this.traceStore.putUpgrade({
      id: upgradeId,
      hosts,
      weight: 0,
      weightVersion: 0,
      watchEpochs: true,
      at: this.clock(),
    });
  }

  remove(upgradeId: string): Promise<void> {
    return this.traceStore.removeUpgrade(upgradeId);
  }
}
