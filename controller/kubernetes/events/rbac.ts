/**
 * The RBAC rules the Kubernetes event recorder needs, as data: the install grants them, and
 * the tests run the recorder with exactly these.
 */
import type { V1PolicyRule } from "@kubernetes/client-node";

/** create a new Event, patch a repeat into its series, list an Upgrade's (the dashboard), get the Upgrade for its uid. */
export const EVENT_RECORDER_RBAC_RULES: readonly V1PolicyRule[] = [
  { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: ["create", "patch", "list"] },
  { apiGroups: ["tranquil.dev"], resources: ["upgrades"], verbs: ["get"] },
];
