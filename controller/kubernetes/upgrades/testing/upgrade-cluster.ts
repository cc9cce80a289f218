/**
 * A real control plane for the Upgrade store's tests: kube-apiserver and etcd on loopback with
 * the CRDs installed, an admin client for what a user or `kubectl` does, and fresh namespaces.
 */
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import type { ControlPlane } from "../../../../test/cluster/control-plane/control-plane.js";
import { startKubeTestEnv } from "../../../../test/cluster/support/kube-test-env.js";
import type { UpgradeKey } from "../../../ports/upgrade-store.js";
import { UPGRADE_API } from "../../../upgrade-spec/crd-manifest.js";

/** The first run on a machine builds the control plane (minutes); later ones start in seconds. */
export const CLUSTER_START_TIMEOUT_MS = 40 * 60_000;

/** Where the Upgrade resource lives, for the admin client's calls. */
export const UPGRADES = {
  group: UPGRADE_API.group,
  version: UPGRADE_API.version,
  plural: UPGRADE_API.plural,
};

/** A running control plane with the CRDs. */
export interface UpgradeCluster {
  readonly cp: ControlPlane;
  /** The admin's kubeconfig (system:masters). */
  readonly kc: KubeConfig;
  /** The admin's custom-objects client: what `kubectl` would do. */
  readonly admin: CustomObjectsApi;
  /** Creates a namespace with a unique name starting with `prefix`. */
  namespace(prefix: string): Promise<string>;
  /** Deletes an Upgrade as `kubectl delete` would. */
  remove(key: UpgradeKey): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the control plane and installs Istio's CRDs and the Upgrade CRD. */
export async function startUpgradeCluster(): Promise<UpgradeCluster> {
  const env = await startKubeTestEnv();
  const admin = env.kc.makeApiClient(CustomObjectsApi);
  let made = 0;
  return {
    cp: env.cp,
    kc: env.kc,
    admin,
    namespace: (prefix) => env.namespace(`${prefix}-${++made}`),
    remove: async (key) => {
      await admin.deleteNamespacedCustomObject({ ...UPGRADES, namespace: key.namespace, name: key.name });
    },
    stop: () => env.stop(),
  };
}
