/**
 * The RBAC rules the Deployment workloads need, as data: the install grants them (a ClusterRole,
 * bound per watched namespace or cluster-wide), and the tests run the adapter with exactly these.
 */
import type { V1PolicyRule } from "@kubernetes/client-node";

/**
 * list and watch feed the informers (Deployments, EndpointSlices, pods); a write lists the
 * Deployments afresh, gets one after a 409 on create, creates and deletes; replicas go through
 * the scale subresource; HPAs are listed, copied, re-read after a 409, and deleted.
 */
export const WORKLOADS_RBAC_RULES: readonly V1PolicyRule[] = [
  { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch", "create", "delete"] },
  { apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["get", "update"] },
  { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
  { apiGroups: [""], resources: ["pods"], verbs: ["list", "watch"] },
  {
    apiGroups: ["autoscaling"],
    resources: ["horizontalpodautoscalers"],
    verbs: ["get", "list", "create", "delete"],
  },
];
