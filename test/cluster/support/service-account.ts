/**
 * The controller's own identity on a test cluster: applies the RBAC the install ships
 * (manifests/rbac/tranquil-controller.yaml, its namespace created when missing), asks the
 * TokenRequest API for a token of its ServiceAccount, and returns a KubeConfig that
 * authenticates with that token. The backend's tests run with exactly the permissions a real
 * install grants: a missing verb fails them, not only a cluster in production.
 */
import {
  AuthorizationV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
} from "@kubernetes/client-node";
import { loadControllerRbac } from "../../../controller/kubernetes/rbac.js";

/** The field manager of the tests' server-side apply of the manifest. */
const FIELD_MANAGER = "tranquil-tests";

/** Options of {@link serviceAccountKubeConfig}. */
export interface ServiceAccountKubeConfigOptions {
  /** The token's lifetime (the API server's minimum is 10 minutes). */
  readonly expirationSeconds?: number;
  /** How long to wait until the API server's authorizer has seen the new bindings. */
  readonly timeoutMs?: number;
}

/**
 * Applies the controller's RBAC with `adminKc` and returns a KubeConfig for `server` (whose CA
 * is `caPem`) that acts as the controller's ServiceAccount, its context's namespace set to the
 * controller's namespace. Resolves once the API server authorizes the Role's Lease verbs and
 * the ClusterRole's Upgrade list for that token.
 */
export async function serviceAccountKubeConfig(
  adminKc: KubeConfig,
  server: string,
  caPem: string,
  options: ServiceAccountKubeConfigOptions = {},
): Promise<KubeConfig> {
  const rbac = loadControllerRbac();
  const { name, namespace } = rbac.serviceAccount;
  await ensureNamespace(adminKc, namespace);
  const objects = KubernetesObjectApi.makeApiClient(adminKc);
  for (const object of rbac.objects) {
    // Server-side apply, as `kubectl apply --server-side` does: creates or updates each object.
    await objects.patch(object, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  }
  const token = await adminKc.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: options.expirationSeconds ?? 3_600 } },
  });
  const value = token.status?.token;
  if (value === undefined || value === "")
    throw new Error(`the TokenRequest for ${namespace}/${name} returned no token`);
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "local", server, caData: Buffer.from(caPem).toString("base64") }],
    users: [{ name, token: value }],
    contexts: [{ name, cluster: "local", user: name, namespace }],
    currentContext: name,
  });
  await untilAuthorized(kc, namespace, rbac.role.namespace, options.timeoutMs ?? 15_000);
  return kc;
}

async function ensureNamespace(kc: KubeConfig, name: string): Promise<void> {
  await kc
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name } } })
    .catch((err: unknown) => {
      if ((err as { code?: number }).code !== 409) throw err;
    });
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
