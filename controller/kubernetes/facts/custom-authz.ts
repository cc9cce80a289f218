/**
 * The CUSTOM authorization trap (DESIGN §3), found in what the cluster holds (pure): istiod
 * gives one workload only one CUSTOM provider. When AuthorizationPolicies of two providers
 * select the same pods, istiod (without `PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS=true`,
 * which Istio 1.29 added) installs a deny-all filter on them instead: every request fails.
 * Tranquil's own policies are CUSTOM, so another CUSTOM provider on the train's pods or on the
 * ingress gateway would turn an install, or an upgrade, into an outage.
 */
import type { MeshProblem } from "./route-problems.js";

/** Istio's root namespace by default (`meshConfig.rootNamespace`): its policies apply mesh-wide. */
export const ISTIO_ROOT_NAMESPACE = "istio-system";
/** The istiod environment variable that lets one workload use several CUSTOM providers. */
export const MULTIPLE_PROVIDERS_FLAG = "PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS";

/** An AuthorizationPolicy as stored (the fields this check reads). */
export interface AuthorizationPolicyObject {
  readonly metadata: { readonly name: string; readonly namespace: string };
  readonly spec?: {
    readonly action?: string;
    readonly provider?: { readonly name?: string };
    readonly selector?: { readonly matchLabels?: Readonly<Record<string, string>> };
    readonly targetRef?: unknown;
    readonly targetRefs?: readonly unknown[];
  };
}

/** Pods of one kind, by their template's labels. */
export interface Workload {
  /** How messages name it, e.g. `auth-service@v1` or `the ingress gateway`. */
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Whether `policy` applies to `w`'s pods: a policy of the root namespace applies in every
 * namespace, others in their own; its selector's labels must all be on the pods (no selector:
 * every pod). A policy bound by `targetRef(s)` (a gateway or waypoint resource) selects no pods.
 */
export function appliesTo(
  policy: AuthorizationPolicyObject,
  w: Workload,
  root = ISTIO_ROOT_NAMESPACE,
): boolean {
  const spec = policy.spec ?? {};
  if (spec.targetRef !== undefined || (spec.targetRefs ?? []).length > 0) return false;
  const ns = policy.metadata.namespace;
  if (ns !== root && ns !== w.namespace) return false;
  const wanted = spec.selector?.matchLabels ?? {};
  return Object.entries(wanted).every(([k, v]) => w.labels[k] === v);
}

/**
 * The workloads that AuthorizationPolicies of two or more CUSTOM providers select, as problems
 * Validating refuses; none when istiod allows several providers per workload.
 */
export function customAuthzProblems(
  policies: readonly AuthorizationPolicyObject[],
  workloads: readonly Workload[],
  multipleProvidersAllowed: boolean,
  root = ISTIO_ROOT_NAMESPACE,
): MeshProblem[] {
  if (multipleProvidersAllowed) return [];
  const custom = policies.filter((p) => p.spec?.action === "CUSTOM");
  const problems: MeshProblem[] = [];
  for (const w of workloads) {
    const selecting = custom.filter((p) => appliesTo(p, w, root));
    const providers = [...new Set(selecting.map((p) => p.spec?.provider?.name ?? "(none)"))].sort();
    if (providers.length < 2) continue;
    const names = selecting.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort();
    problems.push({
      reason: "ConflictingCustomAuthorization",
      message:
        `the pods of ${w.name} in ${w.namespace} are selected by CUSTOM AuthorizationPolicies of ${providers.length} providers ` +
        `(${providers.join(", ")}: ${names.join(", ")}); istiod then installs a deny-all filter on them and every request fails. ` +
        `Leave one CUSTOM provider on them, or set ${MULTIPLE_PROVIDERS_FLAG}=true on istiod (Istio 1.29 and later)`,
    });
  }
  return problems;
}

/** Whether an istiod container's environment turns the multiple-provider support on. */
export function allowsMultipleProviders(
  env: readonly { readonly name: string; readonly value?: string }[],
): boolean {
  return env.some((e) => e.name === MULTIPLE_PROVIDERS_FLAG && (e.value ?? "").toLowerCase() === "true");
}
