/**
 * A KubeConfig for a service account bound to exactly the given rules (a ClusterRole and its
 * binding), with a token from the TokenRequest API: tests run an adapter with the permissions
 * it claims to need, not as admin, so a missing verb fails the test.
 */
import {
  CoreV1Api,
  RbacAuthorizationV1Api,
  type KubeConfig,
  type V1PolicyRule,
} from "@kubernetes/client-node";
import { ensureNamespace, tokenKubeConfig } from "../../../../test/cluster/support/token-kubeconfig.js";

/** Who to make and what it may do. */
export interface ServiceAccountSpec {
  readonly namespace: string;
  readonly name: string;
  readonly rules: readonly V1PolicyRule[];
  /** Bind the rules in these namespaces only (RoleBindings); cluster-wide when omitted. */
  readonly onlyIn?: readonly string[];
}

/** Creates the account, its ClusterRole and binding, and returns a KubeConfig that acts as it. */
export async function serviceAccountKubeConfig(
  admin: KubeConfig,
  spec: ServiceAccountSpec,
): Promise<KubeConfig> {
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const { namespace, name } = spec;
  await ensureNamespace(admin, namespace);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  const role = `${namespace}-${name}`;
  await rbac.createClusterRole({ body: { metadata: { name: role }, rules: [...spec.rules] } });
  const binding = {
    metadata: { name: role },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
    subjects: [{ kind: "ServiceAccount", name, namespace }],
  };
  if (spec.onlyIn === undefined) await rbac.createClusterRoleBinding({ body: binding });
  else for (const ns of spec.onlyIn) await rbac.createNamespacedRoleBinding({ namespace: ns, body: binding });
  return tokenKubeConfig(admin, namespace, name);
}
