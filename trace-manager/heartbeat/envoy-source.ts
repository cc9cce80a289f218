import type { ActiveUpgrade, EnvoyFigures } from "../store/port.js";

/**
 * The seam to the pod's Envoy admin endpoint: its figures (ext_authz, ALS, active requests,
 * healthy endpoints) and, for upgrades under watch, the config epochs of its route configurations.
 */
export interface EnvoySource {
  figures(now: number): Promise<EnvoyFigures>;
  /** upgrade id → minimum epoch over route configurations holding a host of it; null = unconfirmed. */
  epochs(upgrades: readonly ActiveUpgrade[]): Promise<Record<string, number | null>>;
}
