/**
 * DestinationRule planning (pure): add or remove one version subset of a train host, creating
 * a Tranquil-owned DestinationRule when the host has none and deleting it when it is left
 * empty. Other subsets and every other field stay as they were.
 */
import { resolveShortname } from "../../../istio/routing/hosts.js";
import type { DestinationRule } from "../../../istio/api/types.js";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, ownedObjectName, UPGRADE_LABEL } from "./names.js";
import { deletionRef, type ObjectRef } from "./plan-virtual-services.js";

/** One subset change. */
export interface SubsetChange {
  readonly upgradeId: string;
  /** Namespace of the service. */
  readonly namespace: string;
  readonly service: string;
  /** The version label value, which is also the subset name. */
  readonly version: string;
  /** Ensure present (true) or absent (false). */
  readonly present: boolean;
  /** Current DestinationRules (all that may name the host). */
  readonly destinationRules: readonly DestinationRule[];
}

/** What to write: nothing, an upsert (full desired object) or a deletion. */
export type DestinationRulePlan =
  | { readonly kind: "unchanged" }
  | { readonly kind: "upsert"; readonly object: DestinationRule }
  | { readonly kind: "delete"; readonly ref: ObjectRef };

/** The DestinationRule that governs the service's host: the first without a workload selector, in the given order. */
export function destinationRuleFor(
  rules: readonly DestinationRule[],
  namespace: string,
  service: string,
): DestinationRule | undefined {
  const fqdn = resolveShortname(service, namespace);
  return rules.find(
    (dr) =>
      dr.spec.workloadSelector === undefined &&
      resolveShortname(dr.spec.host, dr.metadata.namespace) === fqdn,
  );
}

function isOwned(dr: DestinationRule, id: string): boolean {
  return (
    dr.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE && dr.metadata.labels[UPGRADE_LABEL] === id
  );
}

/** Plan one subset change. Idempotent: applying the plan and planning again gives `unchanged`. */
export function planSubset(change: SubsetChange): DestinationRulePlan {
  const current = destinationRuleFor(change.destinationRules, change.namespace, change.service);
  if (current === undefined) {
    if (!change.present) return { kind: "unchanged" };
    return {
      kind: "upsert",
      object: {
        apiVersion: "networking.istio.io/v1",
        kind: "DestinationRule",
        metadata: {
          name: ownedObjectName(change.upgradeId, change.service),
          namespace: change.namespace,
          labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [UPGRADE_LABEL]: change.upgradeId },
        },
        spec: {
          host: change.service,
          subsets: [{ name: change.version, labels: { version: change.version } }],
        },
      },
    };
  }
  const subsets = current.spec.subsets ?? [];
  const has = subsets.some((s) => s.name === change.version);
  if (has === change.present) return { kind: "unchanged" };
  const next = structuredClone(current);
  if (change.present) {
    next.spec.subsets = [
      ...structuredClone(subsets),
      { name: change.version, labels: { version: change.version } },
    ];
    return { kind: "upsert", object: next };
  }
  const remaining = structuredClone(subsets).filter((s) => s.name !== change.version);
  if (remaining.length === 0 && isOwned(current, change.upgradeId)) {
    return { kind: "delete", ref: deletionRef(current) };
  }
  next.spec.subsets = remaining;
  return { kind: "upsert", object: next };
}
