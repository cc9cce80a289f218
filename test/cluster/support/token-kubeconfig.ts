/**
 * Acting as a ServiceAccount on a test cluster: its namespace made when missing, a token from
 * the TokenRequest API, and a KubeConfig for the admin's cluster that authenticates with it.
 * The helpers that bind the account to rules (the shipped manifest, or exactly an adapter's
 * rules) build on these.
 */
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";

/** Creates `name` unless it exists. */
export async function ensureNamespace(adminKc: KubeConfig, name: string): Promise<void> {
  await adminKc
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name } } })
    .catch((err: unknown) => {
      if ((err as { code?: number }).code !== 409) throw err;
    });
}

/** A KubeConfig for the admin's cluster that acts as ServiceAccount `namespace/name` (which must exist). */
export async function tokenKubeConfig(
  adminKc: KubeConfig,
  namespace: string,
  name: string,
  expirationSeconds = 3_600,
): Promise<KubeConfig> {
  const request = await adminKc.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    namespace,
    name,
    body: { spec: { audiences: [], expirationSeconds } },
  });
  const token = request.status?.token;
  if (token === undefined || token === "")
    throw new Error(`the TokenRequest for ${namespace}/${name} returned no token`);
  const cluster = adminKc.getCurrentCluster();
  if (cluster === null) throw new Error("the admin KubeConfig has no current cluster");
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ ...cluster, name: "local" }],
    users: [{ name, token }],
    contexts: [{ name, cluster: "local", user: name, namespace }],
    currentContext: name,
  });
  return kc;
}
