/**
 * The Router port: how the engine's routing intents reach the mesh. The Istio implementation
 * plans VirtualServices and DestinationRules (controller/istio/routes) and writes them through a
 * RouteTable; the engine never sees an Istio type.
 */
import type { RouteOriginal, RoutePlanIntent, UpgradeSpec } from "../engine/types.js";

/** Which upgrade a call is for: its enrolment id, its namespace (the train's services live there) and spec. */
export interface UpgradeRef {
  /** The enrolment id (see `enrolmentId`). */
  readonly id: string;
  readonly namespace: string;
  readonly spec: UpgradeSpec;
  /** The Upgrade's name, where a port shows it (the webhook gates' payload); absent = the id. */
  readonly name?: string;
}

/** Routing changes, each idempotent: applying the same call twice changes nothing the second time. */
export interface Router {
  /** Ensures `service`'s DestinationRule has subset `version` (creating a Tranquil-owned rule if none exists). */
  ensureSubset(upgrade: UpgradeRef, service: string, version: string): Promise<void>;
  /** Removes subset `version` from `service`'s DestinationRule(s). */
  removeSubset(upgrade: UpgradeRef, service: string, version: string): Promise<void>;
  /**
   * Writes every train member's VirtualServices as planned for `intent` at `epoch`. Returns the
   * user routes' original destinations it edited (only in the `finalized` mode).
   */
  writeRoutes(
    upgrade: UpgradeRef,
    epoch: number,
    intent: RoutePlanIntent,
  ): Promise<{ readonly recorded: readonly RouteOriginal[] }>;
  /** The highest Tranquil epoch present in the route table for this upgrade, or null. */
  epochInTable(upgrade: UpgradeRef): Promise<number | null>;
  /**
   * The Gateways (`<namespace>/<name>`) bound by a VirtualService that carries this upgrade's
   * sentinel in the route table. Their pods hold the upgrade's routes once they apply the
   * table, so a report without an epoch from one of them means "not yet", never "nothing to
   * confirm" (ADR 0090).
   */
  sentinelGateways(upgrade: UpgradeRef): Promise<readonly string[]>;
}
