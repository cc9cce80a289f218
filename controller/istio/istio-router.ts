/**
 * The Router port on Istio: routing intents become VirtualServices and DestinationRules
 * planned by controller/istio/routes and written through a RouteTable. Each write reads, plans,
 * and writes only what changed, with the resourceVersion it read; on a conflict it reads
 * and plans again, so foreign writers keep their changes (STYLE §3, DESIGN §9).
 */
import { planSubset, planVirtualServices, highestEpoch, sentinelGateways } from "./routes/index.js";
import type { RouteOriginal, RoutePlanIntent } from "../engine/types.js";
import type { Router, UpgradeRef } from "../ports/router.js";
import { isConflict, isNotFound, type RouteTable } from "./route-table.js";

const CONFLICT_RETRIES = 8;

/** Options of {@link IstioRouter}. */
export interface IstioRouterOptions {
  readonly table: RouteTable;
  /** The enrolment header (install-wide). */
  readonly enrolmentHeader: string;
}

/** Router over Istio objects. */
export class IstioRouter implements Router {
  constructor(private readonly options: IstioRouterOptions) {}

  ensureSubset(upgrade: UpgradeRef, service: string, version: string): Promise<void> {
    return this.subset(upgrade, service, version, true);
  }

  removeSubset(upgrade: UpgradeRef, service: string, version: string): Promise<void> {
    return this.subset(upgrade, service, version, false);
  }

  async writeRoutes(
    upgrade: UpgradeRef,
    epoch: number,
    intent: RoutePlanIntent,
  ): Promise<{ readonly recorded: readonly RouteOriginal[] }> {
    const { table, enrolmentHeader } = this.options;
    return this.retrying(`VirtualServices of upgrade ${upgrade.id}`, async () => {
      const plan = planVirtualServices({
        upgradeId: upgrade.id,
        namespace: upgrade.namespace,
        services: upgrade.spec.services.map((s) => ({ name: s.name, from: s.from, to: s.to })),
        intent,
        epoch,
        enrolmentHeader,
        virtualServices: await table.listVirtualServices(),
      });
      for (const vs of plan.upserts) await table.putVirtualService(vs);
      for (const ref of plan.deletes) {
        try {
          await table.deleteVirtualService(ref);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      return { recorded: plan.originals };
    });
  }

  async epochInTable(upgrade: UpgradeRef): Promise<number | null> {
    return highestEpoch(upgrade.id, await this.options.table.listVirtualServices());
  }

  async sentinelGateways(upgrade: UpgradeRef): Promise<readonly string[]> {
    return sentinelGateways(upgrade.id, await this.options.table.listVirtualServices());
  }

  private subset(upgrade: UpgradeRef, service: string, version: string, present: boolean): Promise<void> {
    const { table } = this.options;
    return this.retrying(`DestinationRule of ${upgrade.namespace}/${service}`, async () => {
      const plan = planSubset({
        upgradeId: upgrade.id,
        namespace: upgrade.namespace,
        service,
        version,
        present,
        destinationRules: await table.listDestinationRules(),
      });
      if (plan.kind === "upsert") await table.putDestinationRule(plan.object);
      else if (plan.kind === "delete") {
        try {
          await table.deleteDestinationRule(plan.ref);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
    });
  }

  private async retrying<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    for (let i = 0; ; i++) {
      try {
        return await attempt();
      } catch (err) {
        if (!isConflict(err)) throw err;
        if (i >= CONFLICT_RETRIES) {
          throw new Error(
            `${what}: still conflicting after ${CONFLICT_RETRIES} retries; another writer keeps changing it`,
            {
              cause: err,
            },
          );
        }
      }
    }
  }
}
