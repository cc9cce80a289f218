/**
 * HorizontalPodAutoscalers (autoscaling/v2) of a version's Deployment. When the new version
 * is created, every HPA that targets the old Deployment gets an equivalent one (same metrics,
 * bounds and behaviour) that targets the new Deployment and is owned by it, so deleting the
 * Deployment removes its HPA. When a version is scaled to zero or deleted, the HPAs that
 * target it are deleted first: an HPA would otherwise scale it back up.
 */
import {
  AutoscalingV2Api,
  type KubeConfig,
  type V1Deployment,
  type V2HorizontalPodAutoscaler,
} from "@kubernetes/client-node";
import { PermanentError } from "../../reconciler/execute.js";
import { GITOPS_TRACKING_LABELS } from "../facts/gitops-markers.js";
import { apiStatusOf, describeKubeError } from "../kube-errors.js";
import { MANAGED_BY_LABEL, MANAGER, plainCopy, withoutKeys } from "./version-template.js";
import { VERSION_LABEL } from "./pod-conventions.js";

const RESOURCE = "horizontalpodautoscalers.autoscaling";

/** True when the HPA scales the Deployment `name`. */
export function targets(hpa: V2HorizontalPodAutoscaler, name: string): boolean {
  const ref = hpa.spec?.scaleTargetRef;
  return (
    ref?.kind === "Deployment" &&
    ref.name === name &&
    (ref.apiVersion === undefined || ref.apiVersion.startsWith("apps/"))
  );
}

/** The copy of `old` for the new version's Deployment (plain data, to create). */
export function hpaCopy(
  old: V2HorizontalPodAutoscaler,
  target: V1Deployment,
  fromVersion: string,
  version: string,
): V2HorizontalPodAutoscaler {
  const oldName = old.metadata?.name ?? "";
  const suffix = `-${fromVersion}`;
  const name = oldName.endsWith(suffix)
    ? `${oldName.slice(0, -suffix.length)}-${version}`
    : `${oldName}-${version}`;
  const labels = withoutKeys(old.metadata?.labels, GITOPS_TRACKING_LABELS);
  if (VERSION_LABEL in labels) labels[VERSION_LABEL] = version;
  labels[MANAGED_BY_LABEL] = MANAGER;
  const spec = plainCopy(old.spec);
  if (spec === undefined) throw new Error(`HorizontalPodAutoscaler ${oldName} has no spec to copy`);
  spec.scaleTargetRef = { apiVersion: "apps/v1", kind: "Deployment", name: target.metadata?.name ?? "" };
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: {
      name,
      namespace: target.metadata?.namespace ?? "",
      labels,
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "Deployment",
          name: target.metadata?.name ?? "",
          uid: target.metadata?.uid ?? "",
        },
      ],
    },
    spec,
  };
}

/** Reads, copies and deletes the HPAs of versions. */
export class VersionAutoscalers {
  private readonly api: AutoscalingV2Api;

  constructor(kc: KubeConfig) {
    this.api = kc.makeApiClient(AutoscalingV2Api);
  }

  /** The HPAs in `namespace` that scale the Deployment `name`. */
  async of(namespace: string, name: string): Promise<V2HorizontalPodAutoscaler[]> {
    try {
      const list = await this.api.listNamespacedHorizontalPodAutoscaler({ namespace });
      return list.items.filter((h) => targets(h, name));
    } catch (err) {
      throw describeKubeError(err, { verb: "list", resource: RESOURCE, namespace });
    }
  }

  /** Gives `target` a copy of every HPA of `from`, unless `target` has one already. */
  async copy(from: V1Deployment, target: V1Deployment, fromVersion: string, version: string): Promise<void> {
    const namespace = target.metadata?.namespace ?? "";
    const targetName = target.metadata?.name ?? "";
    const [olds, present] = await Promise.all([
      this.of(namespace, from.metadata?.name ?? ""),
      this.of(namespace, targetName),
    ]);
    if (present.length > 0) return;
    for (const old of olds) {
      const body = hpaCopy(old, target, fromVersion, version);
      const name = body.metadata?.name ?? "";
      try {
        await this.api.createNamespacedHorizontalPodAutoscaler({ namespace, body });
      } catch (err) {
        if (apiStatusOf(err)?.code !== 409) {
          throw describeKubeError(err, { verb: "create", resource: RESOURCE, namespace, name });
        }
        // Created by an earlier attempt whose answer was lost, or a foreign HPA of that name.
        const existing = await this.api
          .readNamespacedHorizontalPodAutoscaler({ name, namespace })
          .catch((e: unknown) => {
            throw describeKubeError(e, { verb: "get", resource: RESOURCE, namespace, name });
          });
        if (!targets(existing, targetName)) {
          throw new PermanentError(
            `HorizontalPodAutoscaler ${namespace}/${name} exists and scales ${existing.spec?.scaleTargetRef.name ?? "?"}, not ${targetName}; rename or delete it so the new version gets its own`,
          );
        }
      }
    }
  }

  /** Deletes every HPA that scales the Deployment `name` (gone already is fine). */
  async remove(namespace: string, name: string): Promise<void> {
    for (const hpa of await this.of(namespace, name)) {
      const hpaName = hpa.metadata?.name ?? "";
      try {
        await this.api.deleteNamespacedHorizontalPodAutoscaler({ name: hpaName, namespace });
      } catch (err) {
        if (apiStatusOf(err)?.code !== 404) {
          throw describeKubeError(err, { verb: "delete", resource: RESOURCE, namespace, name: hpaName });
        }
      }
    }
  }
}
