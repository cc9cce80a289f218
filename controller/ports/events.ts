/**
 * The Events port: what Kubernetes Events carry for an Upgrade (phase changes, rollbacks, why
 * it waits, refused commands). The Kubernetes backend writes `events.k8s.io/v1` Events that
 * regard the Upgrade; the local backend logs them and keeps the latest per Upgrade.
 */
import type { UpgradeKey } from "./upgrade-store.js";

/** One event about an Upgrade. */
export interface UpgradeEventNote {
  readonly type: "Normal" | "Warning";
  /** CamelCase, e.g. `PhaseChanged`, `Waiting`, `AbortRefused`. */
  readonly reason: string;
  readonly message: string;
  /** When it happened (ms since the epoch). */
  readonly at: number;
}

/** Records events about Upgrades. Recording is best effort: a failure never stops a reconcile. */
export interface EventRecorder {
  record(upgrade: UpgradeKey, event: UpgradeEventNote): Promise<void>;
}
