/**
 * The new version's Deployment, computed from the old one (ADR 0078), as plain data:
 * - named `<old name>` with its `-<from>` suffix replaced by `-<to>`, else `<service>-<to>`;
 * - the old pod template with `version: <to>` and the app container's image replaced;
 * - the old selector with `version: <to>`;
 * - `replicas` as asked, the old Deployment's own settings (strategy, revision history, …) kept,
 *   never paused;
 * - the old Deployment's ownerReferences (so whatever owns the service's workloads owns the
 *   new version too; never the Upgrade), without `blockOwnerDeletion`;
 * - the old labels with `version: <to>`, GitOps tracking labels dropped (the tool would take the
 *   Deployment for its own and prune it), `app.kubernetes.io/managed-by: tranquil`, and the
 *   upgrade's enrolment id when known; annotations naming where it came from.
 */
import type {
  V1Deployment,
  V1LabelSelector,
  V1OwnerReference,
  V1PodTemplateSpec,
} from "@kubernetes/client-node";
import { GITOPS_TRACKING_LABELS } from "../facts/gitops-markers.js";
import { appContainerIndex, VERSION_LABEL } from "./pod-conventions.js";

/** The label that says who manages an object. */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
/** Its value on what Tranquil creates. */
export const MANAGER = "tranquil";
/** The enrolment id of the Upgrade that created the object. */
export const UPGRADE_LABEL = "tranquil.dev/upgrade";
/** The version the object was created from. */
export const FROM_VERSION_ANNOTATION = "tranquil.dev/from-version";
/** The Deployment the object was created from. */
export const FROM_DEPLOYMENT_ANNOTATION = "tranquil.dev/from-deployment";

/** What the new version's Deployment is built from. */
export interface VersionRequest {
  readonly service: string;
  readonly version: string;
  readonly fromVersion: string;
  /** The app container's image (explicit, or derived by {@link deriveImage}). */
  readonly image: string;
  readonly replicas: number;
  /** The Upgrade's enrolment id, for the `tranquil.dev/upgrade` label. */
  readonly upgrade?: string;
}

/** The new version's name: the old name with its version suffix replaced, else `<service>-<version>`. */
export function versionName(
  oldName: string,
  request: Pick<VersionRequest, "service" | "version" | "fromVersion">,
): string {
  const suffix = `-${request.fromVersion}`;
  if (oldName.endsWith(suffix) && oldName.length > suffix.length) {
    return `${oldName.slice(0, -suffix.length)}-${request.version}`;
  }
  return `${request.service}-${request.version}`;
}

/** An image derived from the old one, or why it cannot be. */
export type DerivedImage =
  { readonly ok: true; readonly image: string } | { readonly ok: false; readonly reason: string };

/**
 * The old image with its tag replaced, when the tag is exactly the old version
 * (`registry/item:v1` → `registry/item:v2`). Anything else (another tag, no tag, a digest)
 * would be a guess, so it is refused with the reason.
 */
export function deriveImage(oldImage: string, fromVersion: string, version: string): DerivedImage {
  if (oldImage.includes("@")) {
    return { ok: false, reason: `${oldImage} is pinned by digest` };
  }
  const slash = oldImage.lastIndexOf("/");
  const colon = oldImage.lastIndexOf(":");
  const tag = colon > slash ? oldImage.slice(colon + 1) : undefined;
  if (tag !== fromVersion) {
    const has = tag === undefined ? "has no tag" : `has tag "${tag}"`;
    return { ok: false, reason: `${oldImage} ${has}, not the version "${fromVersion}"` };
  }
  return { ok: true, image: `${oldImage.slice(0, colon + 1)}${version}` };
}

/** True when the selector pins exactly `version` (a `version` match label, or `version In [version]`). */
export function selectorHasVersion(selector: V1LabelSelector | undefined, version: string): boolean {
  if (selector?.matchLabels?.[VERSION_LABEL] === version) return true;
  return (selector?.matchExpressions ?? []).some(
    (e) =>
      e.key === VERSION_LABEL && e.operator === "In" && e.values?.length === 1 && e.values[0] === version,
  );
}

/** The old selector with `version` pinned to the new version. */
export function versionSelector(old: V1LabelSelector | undefined, version: string): V1LabelSelector {
  const matchExpressions = (old?.matchExpressions ?? []).filter((e) => e.key !== VERSION_LABEL);
  return {
    matchLabels: { ...old?.matchLabels, [VERSION_LABEL]: version },
    ...(matchExpressions.length > 0 ? { matchExpressions } : {}),
  };
}

/** The image of the app container of a Deployment, if it has one. */
export function appImage(deployment: V1Deployment): string | undefined {
  const spec = deployment.spec?.template.spec;
  return spec?.containers[appContainerIndex(spec)]?.image;
}

/** A deep copy as plain data (client-node models are classes; nothing of the source is shared). */
export function plainCopy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** The record without `keys`. */
export function withoutKeys(
  record: Readonly<Record<string, string>> | undefined,
  keys: readonly string[],
): Record<string, string> {
  return Object.fromEntries(Object.entries(record ?? {}).filter(([k]) => !keys.includes(k)));
}

function ownersOf(old: V1Deployment): V1OwnerReference[] {
  // blockOwnerDeletion would need `update` on the owner's finalizers where the
  // OwnerReferencesPermissionEnforcement admission plugin runs; garbage collection does not need it.
  return (old.metadata?.ownerReferences ?? []).map((o) => ({
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.name,
    uid: o.uid,
    ...(o.controller !== undefined ? { controller: o.controller } : {}),
  }));
}

function templateOf(old: V1Deployment, request: VersionRequest): V1PodTemplateSpec {
  const template = plainCopy<V1PodTemplateSpec>(old.spec?.template ?? {});
  // Set by the Deployment controller on ReplicaSets; a template carrying one would pin the old hash.
  const labels = withoutKeys(template.metadata?.labels, ["pod-template-hash"]);
  labels[VERSION_LABEL] = request.version;
  const metadata = template.metadata ?? {};
  metadata.labels = labels;
  delete metadata.creationTimestamp;
  template.metadata = metadata;
  const spec = template.spec;
  const app = spec?.containers[appContainerIndex(spec)];
  if (app !== undefined) app.image = request.image;
  return template;
}

/** The new version's Deployment (to create) built from the old one. */
export function versionDeployment(old: V1Deployment, request: VersionRequest): V1Deployment {
  const oldName = old.metadata?.name ?? request.service;
  const labels = withoutKeys(old.metadata?.labels, GITOPS_TRACKING_LABELS);
  labels[VERSION_LABEL] = request.version;
  labels[MANAGED_BY_LABEL] = MANAGER;
  if (request.upgrade !== undefined) labels[UPGRADE_LABEL] = request.upgrade;
  const owners = ownersOf(old);
  const spec = plainCopy<NonNullable<V1Deployment["spec"]>>(old.spec ?? { selector: {}, template: {} });
  delete spec.paused;
  spec.replicas = request.replicas;
  spec.selector = versionSelector(old.spec?.selector, request.version);
  spec.template = templateOf(old, request);
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: versionName(oldName, request),
      namespace: old.metadata?.namespace ?? "",
      labels,
      annotations: {
        [FROM_DEPLOYMENT_ANNOTATION]: oldName,
        [FROM_VERSION_ANNOTATION]: request.fromVersion,
      },
      ...(owners.length > 0 ? { ownerReferences: owners } : {}),
    },
    spec,
  };
}

/**
 * How an existing Deployment of the version differs from what the upgrade asks for: the app
 * container's image (when one is asked for) and the selector, which must pin the version.
 */
export function versionDifferences(
  existing: V1Deployment,
  request: { readonly version: string; readonly image?: string },
): string[] {
  const problems: string[] = [];
  const image = appImage(existing);
  if (request.image !== undefined && image !== request.image) {
    problems.push(`its image is ${image ?? "(none)"}, the upgrade asks for ${request.image}`);
  }
  if (!selectorHasVersion(existing.spec?.selector, request.version)) {
    problems.push(`its selector does not pin version=${request.version}`);
  }
  return problems;
}
