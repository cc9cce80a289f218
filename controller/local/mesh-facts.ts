/**
 * Validation facts (DESIGN §4.1) for the local mesh: services come from the topology (all
 * speak HTTP or gRPC, none is headless), versions from the Workloads port, subsets from the
 * DestinationRules in the config store, and GitOps ownership and delegate VirtualServices from
 * the VirtualServices themselves.
 */
import { resolveShortname } from "../../istio/routing/hosts.js";
import type { ConfigStore } from "../../istio/local-mesh/control-plane/types.js";
import type { VirtualService } from "../../istio/api/types.js";
import type { Topology } from "../../istio/local-mesh/runtime/topology.js";
import type { ServiceFacts, ValidationFacts } from "../engine/types.js";
import type { UpgradeRef } from "../ports/router.js";
import type { UpgradeStore } from "../ports/upgrade-store.js";
import { activeUpgradeFacts } from "../observe/active-upgrades.js";
import type { Workloads } from "../ports/workloads.js";

/** Labels and annotations Argo CD and Flux put on the objects they manage. */
const GITOPS_MARKERS = [
  "argocd.argoproj.io/instance",
  "argocd.argoproj.io/tracking-id",
  "kustomize.toolkit.fluxcd.io/name",
  "helm.toolkit.fluxcd.io/name",
] as const;

/** True when a GitOps tool manages the VirtualService (it would revert Tranquil's clones). */
export function gitOpsManaged(vs: VirtualService): boolean {
  const marks = { ...vs.metadata.labels, ...vs.metadata.annotations };
  return GITOPS_MARKERS.some((m) => m in marks);
}

/** Dependencies of {@link meshValidationFacts}. */
export interface MeshFactsDeps {
  readonly topology: Topology;
  readonly configStore: ConfigStore;
  readonly workloads: Workloads;
  readonly upgrades: UpgradeStore;
}

/** Gathers the facts Validating needs from the local mesh. */
export async function meshValidationFacts(
  deps: MeshFactsDeps,
  upgrade: UpgradeRef,
): Promise<ValidationFacts> {
  const ns = deps.topology.namespace;
  const { spec } = upgrade;
  const virtualServices = deps.configStore.list("VirtualService");
  const rules = deps.configStore.list("DestinationRule");
  const services: Record<string, ServiceFacts> = {};
  const meshProblems: { reason: string; message: string }[] = [];
  for (const member of spec.services) {
    const fqdn = resolveShortname(member.name, ns);
    // The local mesh runs one namespace: a service named in another is not there.
    const known = upgrade.namespace === ns && deps.topology.services.some((s) => s.name === member.name);
    const routing = virtualServices.filter((vs) =>
      (vs.spec.hosts ?? []).some((h) => resolveShortname(h, vs.metadata.namespace) === fqdn),
    );
    const versions = (
      await deps.workloads.versions({ namespace: upgrade.namespace, service: member.name })
    ).filter((v) => v.desired > 0 || v.ready > 0);
    services[member.name] = {
      exists: known,
      headless: false,
      tcpPorts: [],
      versions: versions.map((v) => v.version),
      subsets: rules
        .filter((dr) => resolveShortname(dr.spec.host, dr.metadata.namespace) === fqdn)
        .flatMap((dr) => (dr.spec.subsets ?? []).map((s) => s.name)),
      oldSelectorHasVersion: true,
      gitOpsSelfHeal: routing.some(gitOpsManaged),
    };
    const built =
      deps.topology.services.find((s) => s.name === member.name)?.versions.map((v) => v.name) ?? [];
    if (known && !built.includes(member.to)) {
      meshProblems.push({
        reason: "UnknownVersion",
        message: `service "${member.name}" has no version "${member.to}" the local mesh can start (it has ${built.join(", ")}); check "to"`,
      });
    }
    for (const vs of routing) {
      if ((vs.spec.http ?? []).some((r) => r.delegate !== undefined)) {
        meshProblems.push({
          reason: "DelegateVirtualService",
          message: `VirtualService ${vs.metadata.namespace}/${vs.metadata.name} delegates routes of ${member.name}; delegate VirtualServices are not supported yet`,
        });
      }
    }
  }
  return { services, meshProblems, ...activeUpgradeFacts(upgrade, await deps.upgrades.list()) };
}
