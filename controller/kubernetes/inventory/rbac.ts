/**
 * The RBAC rules the pod inventory needs, as data: the install grants them cluster-wide
 * (gateway pods may live in any namespace), and the tests run the inventory with exactly these.
 */
import type { V1PolicyRule } from "@kubernetes/client-node";

/** list and watch feed its two informers. */
export const INVENTORY_RBAC_RULES: readonly V1PolicyRule[] = [
  { apiGroups: [""], resources: ["pods"], verbs: ["list", "watch"] },
  { apiGroups: ["networking.istio.io"], resources: ["gateways"], verbs: ["list", "watch"] },
];
