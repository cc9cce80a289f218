/**
 * Which GitOps tool manages an object, from the labels, annotations and field managers Argo CD
 * and Flux put on the objects they apply, and whether it would revert Tranquil's edits
 * (self-heal). `http[]` of a VirtualService is an atomic list, so a tool that re-applies it
 * removes Tranquil's clones (DESIGN §4.1).
 *
 * What counts:
 * - Argo CD: the `argocd.argoproj.io/tracking-id` annotation (annotation tracking, the default
 *   since Argo CD 3.0), the `argocd.argoproj.io/instance` label (the usual custom tracking
 *   label), and `app.kubernetes.io/instance` (label tracking, the default before 3.0) only
 *   together with one of Argo CD's field managers (`argocd-controller`, its server-side apply
 *   manager, or `argocd-application-controller`): every Helm chart sets that label too, so
 *   alone it says nothing.
 * - Flux: the `kustomize.toolkit.fluxcd.io/name` and `helm.toolkit.fluxcd.io/name` labels, or
 *   one of its field managers (`kustomize-controller`, `helm-controller`), unless the object
 *   opts out of being re-applied with `kustomize.toolkit.fluxcd.io/reconcile: disabled` or
 *   `kustomize.toolkit.fluxcd.io/ssa: IfNotPresent` / `Ignore` (as an annotation or a label).
 * Argo CD's self-heal is a setting of the Application, which the object does not show, so an
 * Argo CD-managed object counts as self-healing; the user acknowledges it
 * (`gitOpsAcknowledged`) after turning self-heal off or ignoring `/spec/http`.
 */

/** The metadata the markers are read from. */
export interface MarkedMetadata {
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly annotations?: Readonly<Record<string, string>> | undefined;
  readonly managedFields?: readonly { readonly manager?: string | undefined }[] | undefined;
}

/** A GitOps tool. */
export type GitOpsTool = "Argo CD" | "Flux";

const ARGO_TRACKING_ID = "argocd.argoproj.io/tracking-id";
const ARGO_INSTANCE = "argocd.argoproj.io/instance";
const INSTANCE = "app.kubernetes.io/instance";
const ARGO_MANAGERS = ["argocd-controller", "argocd-application-controller"] as const;
const FLUX_LABELS = ["kustomize.toolkit.fluxcd.io/name", "helm.toolkit.fluxcd.io/name"] as const;
const FLUX_MANAGERS = ["kustomize-controller", "helm-controller"] as const;
const FLUX_RECONCILE = "kustomize.toolkit.fluxcd.io/reconcile";
const FLUX_SSA = "kustomize.toolkit.fluxcd.io/ssa";

/**
 * Labels a GitOps tool tracks its objects by. An object Tranquil creates from a tracked one
 * must not carry them, or the tool would take it for its own and prune it.
 */
export const GITOPS_TRACKING_LABELS: readonly string[] = [
  ARGO_INSTANCE,
  INSTANCE,
  ...FLUX_LABELS,
  "kustomize.toolkit.fluxcd.io/namespace",
  "helm.toolkit.fluxcd.io/namespace",
];

function managers(meta: MarkedMetadata): Set<string> {
  return new Set((meta.managedFields ?? []).map((f) => f.manager ?? ""));
}

/** The GitOps tool that manages the object, or undefined. */
export function gitOpsManager(meta: MarkedMetadata): GitOpsTool | undefined {
  const labels = meta.labels ?? {};
  const annotations = meta.annotations ?? {};
  const by = managers(meta);
  const argoManaged = ARGO_MANAGERS.some((m) => by.has(m));
  if (ARGO_TRACKING_ID in annotations || ARGO_INSTANCE in labels || (INSTANCE in labels && argoManaged)) {
    return "Argo CD";
  }
  if (FLUX_LABELS.some((l) => l in labels) || FLUX_MANAGERS.some((m) => by.has(m))) return "Flux";
  return undefined;
}

/** True when a GitOps tool manages the object and would re-apply it (revert Tranquil's routes). */
export function gitOpsSelfHeal(meta: MarkedMetadata): boolean {
  const tool = gitOpsManager(meta);
  if (tool !== "Flux") return tool !== undefined;
  // Flux reads its opt-outs from an annotation or a label.
  const marks = { ...meta.labels, ...meta.annotations };
  const ssa = (marks[FLUX_SSA] ?? "").toLowerCase();
  return marks[FLUX_RECONCILE] !== "disabled" && ssa !== "ifnotpresent" && ssa !== "ignore";
}
