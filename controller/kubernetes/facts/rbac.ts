/**
 * The RBAC rules the validation facts need, as data: the install grants them, and the tests
 * gather the facts with exactly these. Routing objects and Gateway API routes are listed
 * cluster-wide (a VirtualService or route of any namespace may name the service); listing a
 * Gateway API kind whose CRD is not installed answers 404, which means "none". AuthorizationPolicies
 * are listed cluster-wide too, and Deployments of Istio's root namespace read (istiod's
 * environment, the ingress gateway's pod labels) for the CUSTOM authorization check.
 */
import type { V1PolicyRule } from "@kubernetes/client-node";

/** Reads only. */
export const VALIDATION_FACTS_RBAC_RULES: readonly V1PolicyRule[] = [
  { apiGroups: [""], resources: ["services", "namespaces"], verbs: ["get"] },
  { apiGroups: ["apps"], resources: ["deployments"], verbs: ["list"] },
  { apiGroups: ["networking.istio.io"], resources: ["virtualservices", "destinationrules"], verbs: ["list"] },
  { apiGroups: ["gateway.networking.k8s.io"], resources: ["httproutes", "grpcroutes"], verbs: ["list"] },
  { apiGroups: ["security.istio.io"], resources: ["authorizationpolicies"], verbs: ["list"] },
];
