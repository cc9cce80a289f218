/**
 * What the controller checks before it starts: the API server answers (`/version`), the
 * resource types it uses are served (a CRD appears in discovery only once it is Established),
 * and its credentials may do every verb the RBAC manifest grants, asked of the server with
 * SelfSubjectAccessReviews in the namespaces it will act in. Everything missing is reported
 * together, in one error, so one round of fixes is enough.
 */
import {
  ApiException,
  AuthenticationV1Api,
  AuthorizationV1Api,
  CustomObjectsApi,
  VersionApi,
  type KubeConfig,
} from "@kubernetes/client-node";
import { describeKubeError, describeSubject, kubeTarget, missingResourceHint } from "../kube-errors.js";
import { describePermission, requiredPermissions, type RequiredPermission } from "../rbac.js";

/** A resource type the controller needs served. */
export interface RequiredResource {
  readonly apiVersion: string;
  readonly kind: string;
  /** The plural, for messages. */
  readonly plural: string;
}

/** The Upgrade and the Istio types the backend reads and writes. */
export const REQUIRED_RESOURCES: readonly RequiredResource[] = [
  { apiVersion: "tranquil.dev/v1alpha1", kind: "Upgrade", plural: "upgrades" },
  { apiVersion: "networking.istio.io/v1", kind: "VirtualService", plural: "virtualservices" },
  { apiVersion: "networking.istio.io/v1", kind: "DestinationRule", plural: "destinationrules" },
  { apiVersion: "networking.istio.io/v1", kind: "Gateway", plural: "gateways" },
  { apiVersion: "networking.istio.io/v1", kind: "ServiceEntry", plural: "serviceentries" },
];

/** Options of {@link startupCheck}. */
export interface StartupCheckOptions {
  /** The watched namespaces: the ClusterRole's verbs are checked there ("all": cluster-wide). */
  readonly namespaces: "all" | readonly string[];
  /** The controller's own namespace: the Role's verbs (the Lease) are checked there. */
  readonly controllerNamespace: string;
  /** Default: every permission of manifests/rbac/tranquil-controller.yaml. */
  readonly permissions?: readonly RequiredPermission[];
  /** Default: {@link REQUIRED_RESOURCES}. */
  readonly resources?: readonly RequiredResource[];
}

/** What a passed check found. */
export interface StartupReport {
  /** `v1.37.2`. */
  readonly serverVersion: string;
  /** Who the credentials are (`system:serviceaccount:…`), when the server says. */
  readonly user?: string;
}

/** Thrown by {@link startupCheck}: every problem, one per line. */
export class StartupCheckError extends Error {
  readonly problems: readonly string[];
  constructor(target: string, problems: readonly string[], options?: ErrorOptions) {
    super(
      `tranquil-controller cannot start on ${target}:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
      options,
    );
    this.name = "StartupCheckError";
    this.problems = problems;
  }
}

/** Checks the server, the CRDs and the permissions; resolves with what it found, or throws StartupCheckError. */
export async function startupCheck(kc: KubeConfig, options: StartupCheckOptions): Promise<StartupReport> {
  const target = kubeTarget(kc);
  const where = `${target.server ?? "the API server"}${target.context !== undefined ? ` (kubeconfig context "${target.context}")` : ""}`;
  let serverVersion: string;
  try {
    serverVersion = (await kc.makeApiClient(VersionApi).getCode()).gitVersion;
  } catch (err) {
    // Nothing else can be checked on a server that cannot be reached or refuses the credentials.
    throw new StartupCheckError(
      where,
      [describeKubeError(err, { verb: "get", resource: "version", ...target }).message],
      {
        cause: err,
      },
    );
  }
  const user = await whoAmI(kc);
  let missingTypes: string[];
  let denied: string[];
  try {
    [missingTypes, denied] = await Promise.all([
      missingResources(kc, options.resources ?? REQUIRED_RESOURCES),
      deniedPermissions(kc, options),
    ]);
  } catch (err) {
    const failure = describeKubeError(err, {
      verb: "check",
      resource: "discovery and access reviews",
      ...target,
    });
    throw new StartupCheckError(where, [failure.message], { cause: err });
  }
  const problems = [...missingTypes];
  if (denied.length > 0) {
    const who = user !== undefined ? describeSubject(user) : "the controller's credentials";
    problems.push(
      ...denied.map((d) => `RBAC: ${who} may not ${d}`),
      "grant what is missing with kubectl apply -f manifests/rbac/tranquil-controller.yaml (in the controller's namespace)",
    );
  }
  if (problems.length > 0) throw new StartupCheckError(where, problems);
  return { serverVersion, ...(user !== undefined ? { user } : {}) };
}

async function whoAmI(kc: KubeConfig): Promise<string | undefined> {
  try {
    const review = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    return review.status?.userInfo?.username;
  } catch {
    return undefined;
  }
}

/** One line per group whose types are not served (the CRD missing or not yet Established). */
async function missingResources(kc: KubeConfig, resources: readonly RequiredResource[]): Promise<string[]> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const served = new Map<string, ReadonlySet<string>>();
  for (const apiVersion of new Set(resources.map((r) => r.apiVersion))) {
    const [group = "", version = ""] = apiVersion.split("/");
    try {
      const list = await api.getAPIResources({ group, version });
      served.set(apiVersion, new Set(list.resources.map((r) => r.kind)));
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 404)) throw err;
      served.set(apiVersion, new Set());
    }
  }
  const missing = resources.filter((r) => served.get(r.apiVersion)?.has(r.kind) !== true);
  const byGroup = new Map<string, RequiredResource[]>();
  for (const r of missing) byGroup.set(r.apiVersion, [...(byGroup.get(r.apiVersion) ?? []), r]);
  return [...byGroup].map(([apiVersion, types]) => {
    const group = apiVersion.split("/")[0] ?? "";
    return `${types.map((t) => t.kind).join(", ")} (${apiVersion}) not served: ${missingResourceHint(group, types.map((t) => t.plural).join(", "))}`;
  });
}

/** One line per resource and namespace, with the verbs the server refuses there. */
async function deniedPermissions(kc: KubeConfig, options: StartupCheckOptions): Promise<string[]> {
  const api = kc.makeApiClient(AuthorizationV1Api);
  const checks = (options.permissions ?? requiredPermissions()).flatMap((p) =>
    p.scope === "controller"
      ? [{ p, namespace: options.controllerNamespace }]
      : options.namespaces === "all"
        ? [{ p, namespace: "" }]
        : options.namespaces.map((namespace) => ({ p, namespace })),
  );
  const allowed = await mapLimited(checks, 8, async ({ p, namespace }) => {
    const review = await api.createSelfSubjectAccessReview({
      body: {
        spec: {
          resourceAttributes: {
            verb: p.verb,
            group: p.group,
            resource: p.resource,
            namespace,
            ...(p.subresource !== undefined ? { subresource: p.subresource } : {}),
          },
        },
      },
    });
    return review.status?.allowed === true;
  });
  const denied = new Map<string, string[]>();
  checks.forEach(({ p, namespace }, i) => {
    if (allowed[i] === true) return;
    const resource = describePermission(p).split(" ")[1] ?? p.resource;
    const key = `${resource} ${namespace === "" ? "in every namespace" : `in namespace ${namespace}`}`;
    denied.set(key, [...(denied.get(key) ?? []), p.verb]);
  });
  return [...denied].map(([key, verbs]) => `${verbs.join(", ")} ${key}`);
}

/** `fn` over `items` with at most `limit` calls in flight, results in order. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
