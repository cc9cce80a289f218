/**
 * A real API server for the Kubernetes backend's tests: the local control plane, Istio's and
 * the Upgrade CRDs installed, an admin KubeConfig, and namespaces made on demand. Stop it in
 * `afterAll`; every process it started is stopped by pid.
 */
import { CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { startControlPlane, type ControlPlane } from "../control-plane/control-plane.js";
import { installCrds } from "../control-plane/crds.js";

/** A running control plane with an admin client. */
export interface KubeTestEnv {
  readonly cp: ControlPlane;
  /** Admin (system:masters). */
  readonly kc: KubeConfig;
  /** Creates the namespace if it does not exist, and returns its name. */
  namespace(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** Starts the control plane; `crds: false` leaves the CRDs out (to test their absence). */
export async function startKubeTestEnv(options: { crds?: boolean } = {}): Promise<KubeTestEnv> {
  const cp = await startControlPlane();
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    if (options.crds !== false) {
      await installCrds(kc);
      await untilServed(kc);
    }
    const core = kc.makeApiClient(CoreV1Api);
    return {
      cp,
      kc,
      namespace: async (name) => {
        await core.createNamespace({ body: { metadata: { name } } }).catch((err: unknown) => {
          if ((err as { code?: number }).code !== 409) throw err;
        });
        return name;
      },
      stop: () => cp.stop(),
    };
  } catch (err) {
    await cp.stop();
    throw err;
  }
}

/**
 * An Established CRD may still answer "storage is (re)initializing" for a moment; wait until
 * the Upgrade resource, Istio's VirtualServices and its AuthorizationPolicies can be listed.
 */
async function untilServed(kc: KubeConfig, timeoutMs = 30_000): Promise<void> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await api.listClusterCustomObject({ group: "tranquil.dev", version: "v1alpha1", plural: "upgrades" });
      await api.listClusterCustomObject({
        group: "networking.istio.io",
        version: "v1",
        plural: "virtualservices",
      });
      await api.listClusterCustomObject({
        group: "security.istio.io",
        version: "v1",
        plural: "authorizationpolicies",
      });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
