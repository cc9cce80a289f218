/**
 * What the CLI needs from where Upgrades live: the controller's HTTP API (ApiClient) or, with
 * `--context`/`--kubeconfig`, the cluster's Upgrade resources directly (KubeUpgradesClient).
 * Both give the same views, refusals and exit statuses.
 */
import type { UpgradeView } from "../api/view.js";
import type { UpgradeSpec } from "../upgrade-spec/schema.js";

/** A user command on one upgrade. */
export type UpgradeVerb = "pause" | "resume" | "promote" | "abort";

/** The CLI's verbs over Upgrades. */
export interface UpgradesClient {
  /** Every upgrade (of the namespace, when one was given), oldest first. */
  list(): Promise<readonly UpgradeView[]>;
  get(name: string): Promise<UpgradeView>;
  create(name: string, spec: UpgradeSpec): Promise<UpgradeView>;
  command(name: string, verb: UpgradeVerb): Promise<UpgradeView>;
  /**
   * The current view, then one per change, until the upgrade ends or goes away; `signal`
   * stops the stream early (it then throws an AbortError).
   */
  events(name: string, signal?: AbortSignal): AsyncGenerator<UpgradeView>;
}
