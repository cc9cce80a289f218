/**
 * The controller's own identity on a test cluster: applies the RBAC the install ships
 * (manifests/rbac/tranquil-controller.yaml, its namespace created when missing), asks the
 * TokenRequest API for a token of its ServiceAccount, and returns a KubeConfig that
 * authenticates with that token. The backend's tests run with exactly the permissions a real
 * install grants: a missing verb fails them, not only a cluster in production.
 */
import {
  AuthorizationV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  type KubeConfig,
} from "@kubernetes/client-node";
import { loadControllerRbac } from "../../../controller/kubernetes/rbac.js";
import { ensureNamespace, tokenKubeConfig } from "./token-kubeconfig.js";

/** The field manager of the tests' server-side apply of the manifest. */
const FIELD_MANAGER = "tranquil-tests";

/** Options of {@link controllerKubeConfig}. */
export interface ControllerKubeConfigOptions {
  /** The token's lifetime (the API server's minimum is 10 minutes). */
  readonly expirationSeconds?: number;
  /** How long to wait until the API server's authorizer has seen the new bindings. */
  readonly timeoutMs?: number;
}

/**
 * Applies the controller's RBAC with `adminKc` and returns a KubeConfig for the same cluster
 * that acts as the controller's ServiceAccount, its context's namespace set to the
 * controller's namespace. Resolves once the API server authorizes the Role's Lease verbs and
 * the ClusterRole's Upgrade list for that token.
 */
export async function controllerKubeConfig(
  adminKc: KubeConfig,
  options: ControllerKubeConfigOptions = {},
): Promise<KubeConfig> {
  const rbac = loadControllerRbac();
  const { name, namespace } = rbac.serviceAccount;
  await ensureNamespace(adminKc, namespace);
  const objects = KubernetesObjectApi.makeApiClient(adminKc);
  for (const object of rbac.objects) {
    // Server-side apply, as `kubectl apply --server-side` does: creates or updates each object.
    await objects.patch(object, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  }
  const kc = await tokenKubeConfig(adminKc, namespace, name, options.expirationSeconds);
  await untilAuthorized(kc, namespace, rbac.role.namespace, options.timeoutMs ?? 15_000);
  return kc;
}

/** The RBAC authorizer follows bindings through an informer: wait until it sees the new ones. */
async function untilAuthorized(
  kc: KubeConfig,
  namespace: string,
  leaseNamespace: string,
  timeoutMs: number,
): Promise<void> {
  const api = kc.makeApiClient(AuthorizationV1Api);
  const allowed = async (attrs: { verb: string; group: string; resource: string; namespace: string }) =>
    (await api.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: attrs } } })).status
      ?.allowed === true;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok =
      (await allowed({
        verb: "update",
        group: "coordination.k8s.io",
        resource: "leases",
        namespace: leaseNamespace,
      })) && (await allowed({ verb: "list", group: "tranquil.dev", resource: "upgrades", namespace: "" }));
    if (ok) return;
    if (Date.now() > deadline) {
      throw new Error(
        `the ServiceAccount ${namespace} was not authorized within ${timeoutMs} ms of applying its RBAC`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
