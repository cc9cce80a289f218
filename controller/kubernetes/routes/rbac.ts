/**
 * The RBAC rules the Kubernetes route table needs, as data: the install's ClusterRole (or Role,
 * per watched namespace) grants them, and the tests run the table with exactly these.
 */
import type { V1PolicyRule } from "@kubernetes/client-node";

/**
 * list and watch feed the informers; get re-reads an object after a 409 or a 404; create,
 * update and delete are the writes. No patch: writes are replaces with the resourceVersion.
 */
export const ROUTE_TABLE_RBAC_RULES: readonly V1PolicyRule[] = [
  {
    apiGroups: ["networking.istio.io"],
    resources: ["virtualservices", "destinationrules"],
    verbs: ["get", "list", "watch", "create", "update", "delete"],
  },
];
