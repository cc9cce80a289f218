/**
 * Desired and ready instances per version of a service, from what Kubernetes records (no
 * timer): desired is the Deployment's `spec.replicas` (0 once it is being deleted); ready is
 * the smaller of two counts that must both agree:
 * - the Deployment's `status.readyReplicas`, trusted only when `status.observedGeneration` has
 *   caught up with `metadata.generation` (a stale status counts as 0 ready);
 * - the pods of that version listed as ready (and not terminating) in the Service's
 *   EndpointSlices, which is what the mesh routes to.
 */
import type { V1Deployment, V1EndpointSlice, V1Pod } from "@kubernetes/client-node";
import { APP_LABEL, VERSION_LABEL } from "./pod-conventions.js";

/** One version's figures, as the Workloads port reports them. */
export interface VersionCount {
  readonly version: string;
  readonly desired: number;
  readonly ready: number;
}

/** The label EndpointSlices carry with their Service's name. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

/** The `version` label of a Deployment's pod template when its `app` label is `service`. */
export function versionOf(deployment: V1Deployment, service: string): string | undefined {
  const labels = deployment.spec?.template.metadata?.labels ?? {};
  return labels[APP_LABEL] === service ? labels[VERSION_LABEL] : undefined;
}

function statusReady(d: V1Deployment): number {
  const generation = d.metadata?.generation ?? 0;
  const observed = d.status?.observedGeneration ?? -1;
  return observed >= generation ? (d.status?.readyReplicas ?? 0) : 0;
}

/** Names of the pods listed ready and not terminating in `slices` (a nil `ready` means ready, as the API says). */
export function readyEndpointPods(slices: readonly V1EndpointSlice[]): Set<string> {
  const pods = new Set<string>();
  for (const slice of slices) {
    for (const e of slice.endpoints ?? []) {
      if (e.conditions?.ready === false || e.conditions?.terminating === true) continue;
      if (e.targetRef?.kind === "Pod" && e.targetRef.name !== undefined) pods.add(e.targetRef.name);
    }
  }
  return pods;
}

/**
 * Per version of `service`: Deployments (pod template `app: service`), the Service's
 * EndpointSlices, and a lookup of the pods the endpoints name.
 */
export function versionCounts(
  service: string,
  deployments: readonly V1Deployment[],
  slices: readonly V1EndpointSlice[],
  pod: (name: string) => V1Pod | undefined,
): VersionCount[] {
  const endpointReady = new Map<string, number>();
  for (const name of readyEndpointPods(
    slices.filter((s) => s.metadata?.labels?.[SERVICE_NAME_LABEL] === service),
  )) {
    const labels = pod(name)?.metadata?.labels ?? {};
    const version = labels[VERSION_LABEL];
    if (labels[APP_LABEL] !== service || version === undefined) continue;
    endpointReady.set(version, (endpointReady.get(version) ?? 0) + 1);
  }
  const byVersion = new Map<string, { desired: number; ready: number }>();
  for (const d of deployments) {
    const version = versionOf(d, service);
    if (version === undefined) continue;
    const sum = byVersion.get(version) ?? { desired: 0, ready: 0 };
    const deleting = d.metadata?.deletionTimestamp !== undefined && d.metadata.deletionTimestamp !== null;
    sum.desired += deleting ? 0 : (d.spec?.replicas ?? 1);
    sum.ready += statusReady(d);
    byVersion.set(version, sum);
  }
  return [...byVersion]
    .map(([version, { desired, ready }]) => ({
      version,
      desired,
      ready: Math.min(ready, endpointReady.get(version) ?? 0),
    }))
    .sort((a, b) => a.version.localeCompare(b.version));
}
