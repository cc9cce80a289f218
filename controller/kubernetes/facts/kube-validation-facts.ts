/**
 * Validation facts (DESIGN §4.1) read from the cluster, as mesh-facts.ts gathers them for the
 * local mesh. Read fresh from the API server each time (Validating runs once per Upgrade and
 * must see what is there now):
 * - per train service: the Service (exists, headless = clusterIP None, the ports Istio proxies
 *   as TCP), its versions (Deployments whose pod template has `app: <service>`, with replicas
 *   wanted or ready), the subsets of the DestinationRules of its host, whether the old version's
 *   selector pins `version`, and whether a VirtualService of its host is managed by a GitOps
 *   tool that self-heals;
 * - other active Upgrades and the holder of the enrolment id, from `listUpgrades`;
 * - shapes it cannot upgrade: delegate VirtualServices, Gateway API routes (when their CRDs
 *   are installed), a Service whose selector pins `version` (new pods would never be its
 *   endpoints), an ExternalName Service, ports no proxy intercepts, ambient mode, and CUSTOM
 *   AuthorizationPolicies of two providers on the train's pods or the ingress gateway
 *   (custom-authz.ts).
 */
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type V1Deployment,
  type V1Namespace,
  type V1Service,
} from "@kubernetes/client-node";
import type { DestinationRule, VirtualService } from "../../../istio/api/types.js";
import { resolveShortname } from "../../../istio/routing/hosts.js";
import type { ServiceFacts, ValidationFacts } from "../../engine/types.js";
import type { UpgradeRef } from "../../ports/router.js";
import type { UpgradeRecord } from "../../ports/upgrade-store.js";
import { apiStatusOf, describeKubeError } from "../kube-errors.js";
import { VERSION_LABEL } from "../workloads/pod-conventions.js";
import { versionOf } from "../workloads/version-readiness.js";
import { selectorHasVersion } from "../workloads/version-template.js";
import { activeUpgradeFacts } from "../../observe/active-upgrades.js";
import {
  allowsMultipleProviders,
  customAuthzProblems,
  ISTIO_ROOT_NAMESPACE,
  type AuthorizationPolicyObject,
  type Workload,
} from "./custom-authz.js";
import { gitOpsSelfHeal } from "./gitops-markers.js";
import { tcpPorts, unproxiedPorts } from "./istio-protocol.js";
import {
  delegateProblems,
  gatewayApiProblems,
  routingVirtualServices,
  type GatewayApiRoute,
  type MeshProblem,
} from "./route-problems.js";

/** The namespace label that puts a namespace's pods in Istio's ambient mode. */
export const AMBIENT_LABEL = "istio.io/dataplane-mode";

const ISTIO = { group: "networking.istio.io", version: "v1" } as const;
const GATEWAY_API = { group: "gateway.networking.k8s.io", version: "v1" } as const;
const ISTIO_SECURITY = { group: "security.istio.io", version: "v1" } as const;
const GATEWAY_API_ROUTES = [
  { kind: "HTTPRoute", plural: "httproutes" },
  { kind: "GRPCRoute", plural: "grpcroutes" },
] as const;

/** Dependencies of {@link kubeValidationFacts}. */
export interface KubeFactsDeps {
  readonly kc: KubeConfig;
  /** Every stored Upgrade (any namespace): the UpgradeStore's `list`. */
  readonly listUpgrades: () => Promise<readonly UpgradeRecord[]>;
}

/** Gathers the facts Validating needs from the cluster. */
export async function kubeValidationFacts(
  deps: KubeFactsDeps,
  upgrade: UpgradeRef,
): Promise<ValidationFacts> {
  const reads = new ClusterReads(deps.kc);
  const ns = upgrade.namespace;
  const [namespace, deployments, virtualServices, rules, routes, records, policies, istioDeployments] =
    await Promise.all([
      reads.namespace(ns),
      reads.deployments(ns),
      reads.istio<VirtualService>("virtualservices"),
      reads.istio<DestinationRule>("destinationrules"),
      reads.gatewayApiRoutes(),
      deps.listUpgrades(),
      reads.authorizationPolicies(),
      ns === ISTIO_ROOT_NAMESPACE ? Promise.resolve([]) : reads.deployments(ISTIO_ROOT_NAMESPACE),
    ]);
  const workloads: Workload[] = [];
  const services: Record<string, ServiceFacts> = {};
  const meshProblems: MeshProblem[] = [];
  if (namespace?.metadata?.labels?.[AMBIENT_LABEL] === "ambient") {
    meshProblems.push({
      reason: "AmbientMode",
      message: `namespace ${ns} runs in Istio's ambient mode (${AMBIENT_LABEL}=ambient); ambient mode is not supported yet`,
    });
  }
  for (const member of upgrade.spec.services) {
    const fqdn = resolveShortname(member.name, ns);
    const service = await reads.service(ns, member.name);
    const own = deployments.filter((d) => versionOf(d, member.name) !== undefined);
    const routing = routingVirtualServices(virtualServices, fqdn);
    services[member.name] = {
      exists: service !== undefined,
      headless: service?.spec?.clusterIP === "None",
      tcpPorts: tcpPorts(service?.spec?.ports ?? []),
      versions: [...new Set(own.filter(present).map((d) => versionOf(d, member.name) ?? ""))].sort(),
      subsets: rules
        .filter((dr) => resolveShortname(dr.spec.host, dr.metadata.namespace) === fqdn)
        .flatMap((dr) => (dr.spec.subsets ?? []).map((s) => s.name)),
      oldSelectorHasVersion: own
        .filter((d) => versionOf(d, member.name) === member.from)
        .every((d) => selectorHasVersion(d.spec?.selector, member.from)),
      gitOpsSelfHeal: routing.some((vs) => gitOpsSelfHeal(vs.metadata)),
    };
    if (service !== undefined) meshProblems.push(...serviceProblems(service, member.name));
    meshProblems.push(...delegateProblems(virtualServices, fqdn, member.name));
    for (const { kind, items } of routes)
      meshProblems.push(...gatewayApiProblems(kind, items, member.name, ns));
    for (const d of own.filter(present))
      workloads.push({
        name: `${member.name}@${versionOf(d, member.name) ?? "?"}`,
        namespace: ns,
        labels: d.spec?.template.metadata?.labels ?? {},
      });
  }
  meshProblems.push(
    ...authorizationProblems(policies, workloads, [
      ...istioDeployments,
      ...(ns === ISTIO_ROOT_NAMESPACE ? deployments : []),
    ]),
  );
  return { services, meshProblems, ...activeUpgradeFacts(upgrade, records) };
}

/**
 * The CUSTOM authorization trap on the train's pods and on the ingress gateway (whose pods
 * carry `istio: ingressgateway`), unless istiod, found in the root namespace, allows several
 * providers per workload.
 */
function authorizationProblems(
  policies: readonly AuthorizationPolicyObject[],
  train: readonly Workload[],
  rootDeployments: readonly V1Deployment[],
): MeshProblem[] {
  const labelsOf = (d: V1Deployment): Record<string, string> => d.spec?.template.metadata?.labels ?? {};
  const istiod = rootDeployments.filter((d) => labelsOf(d)["app"] === "istiod");
  const allowed =
    istiod.length > 0 &&
    istiod.every((d) =>
      (d.spec?.template.spec?.containers ?? []).some((c) => allowsMultipleProviders(c.env ?? [])),
    );
  const gateways = rootDeployments
    .filter((d) => labelsOf(d)["istio"] === "ingressgateway")
    .map((d): Workload => ({
      name: `the ingress gateway ${d.metadata?.name ?? ""}`.trim(),
      namespace: ISTIO_ROOT_NAMESPACE,
      labels: labelsOf(d),
    }));
  return customAuthzProblems(policies, [...train, ...gateways], allowed);
}

/** A version counts when it wants instances or still has ready ones. */
function present(d: V1Deployment): boolean {
  const deleting = d.metadata?.deletionTimestamp !== undefined && d.metadata.deletionTimestamp !== null;
  return (!deleting && (d.spec?.replicas ?? 1) > 0) || (d.status?.readyReplicas ?? 0) > 0;
}

/** What makes the Service itself impossible to upgrade by version. */
function serviceProblems(service: V1Service, name: string): MeshProblem[] {
  const problems: MeshProblem[] = [];
  const where = `service "${name}"`;
  if (service.spec?.type === "ExternalName") {
    problems.push({
      reason: "ExternalNameService",
      message: `${where} is an ExternalName Service; it has no pods of its own to upgrade`,
    });
  }
  if (service.spec?.selector?.[VERSION_LABEL] !== undefined) {
    problems.push({
      reason: "ServiceSelectsVersion",
      message: `${where} selects only ${VERSION_LABEL}=${service.spec.selector[VERSION_LABEL]}, so the new version's pods would never be its endpoints; remove "${VERSION_LABEL}" from its selector`,
    });
  }
  const unproxied = unproxiedPorts(service.spec?.ports ?? []);
  if (unproxied.length > 0) {
    problems.push({
      reason: "UnproxiedPorts",
      message: `${where} has UDP or SCTP ports (${unproxied.join(", ")}) that Istio does not proxy; their traffic would reach both versions`,
    });
  }
  return problems;
}

/** The reads, each turned into an error that says what to do when it fails. */
class ClusterReads {
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly custom: CustomObjectsApi;

  constructor(kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  async namespace(name: string): Promise<V1Namespace | undefined> {
    try {
      return await this.core.readNamespace({ name });
    } catch (err) {
      if (apiStatusOf(err)?.code === 404) return undefined;
      throw describeKubeError(err, { verb: "get", resource: "namespaces", name });
    }
  }

  async service(namespace: string, name: string): Promise<V1Service | undefined> {
    try {
      return await this.core.readNamespacedService({ name, namespace });
    } catch (err) {
      if (apiStatusOf(err)?.code === 404) return undefined;
      throw describeKubeError(err, { verb: "get", resource: "services", namespace, name });
    }
  }

  async deployments(namespace: string): Promise<V1Deployment[]> {
    try {
      return (await this.apps.listNamespacedDeployment({ namespace })).items;
    } catch (err) {
      throw describeKubeError(err, { verb: "list", resource: "deployments.apps", namespace });
    }
  }

  async istio<T>(plural: string): Promise<T[]> {
    try {
      const list = (await this.custom.listClusterCustomObject({ ...ISTIO, plural })) as { items: T[] };
      return list.items;
    } catch (err) {
      throw describeKubeError(err, { verb: "list", resource: `${plural}.${ISTIO.group}` });
    }
  }

  /** Every AuthorizationPolicy; none when Istio's security CRDs are not installed. */
  async authorizationPolicies(): Promise<AuthorizationPolicyObject[]> {
    try {
      const list = (await this.custom.listClusterCustomObject({
        ...ISTIO_SECURITY,
        plural: "authorizationpolicies",
      })) as { items: AuthorizationPolicyObject[] };
      return list.items;
    } catch (err) {
      if (apiStatusOf(err)?.code === 404) return [];
      throw describeKubeError(err, {
        verb: "list",
        resource: `authorizationpolicies.${ISTIO_SECURITY.group}`,
      });
    }
  }

  /** Every Gateway API route, by kind; a kind whose CRD is not installed has none. */
  async gatewayApiRoutes(): Promise<{ kind: string; items: GatewayApiRoute[] }[]> {
    return Promise.all(
      GATEWAY_API_ROUTES.map(async ({ kind, plural }) => {
        try {
          const list = (await this.custom.listClusterCustomObject({ ...GATEWAY_API, plural })) as {
            items: GatewayApiRoute[];
          };
          return { kind, items: list.items };
        } catch (err) {
          if (apiStatusOf(err)?.code === 404) return { kind, items: [] };
          throw describeKubeError(err, { verb: "list", resource: `${plural}.${GATEWAY_API.group}` });
        }
      }),
    );
  }
}
