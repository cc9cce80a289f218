/**
 * Routing shapes Validating refuses (DESIGN §4.1, §11), found in what the cluster holds (pure):
 * - delegate VirtualServices: a VirtualService of the host whose `http` routes delegate, or a
 *   delegate (a VirtualService without hosts) whose routes send traffic to the host;
 * - Gateway API routes (HTTPRoute, GRPCRoute) that send traffic to the Service (`backendRefs`)
 *   or attach to it for mesh traffic (`parentRefs` of kind Service): Tranquil's clones live in
 *   VirtualServices and would not hold that traffic.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { VirtualService } from "../../../istio/api/types.js";
import { resolveShortname } from "../../../istio/routing/hosts.js";

/** A problem as Validating reports it. */
export interface MeshProblem {
  readonly reason: string;
  readonly message: string;
}

/** The VirtualServices whose hosts name `fqdn`. */
export function routingVirtualServices(all: readonly VirtualService[], fqdn: string): VirtualService[] {
  return all.filter((vs) =>
    (vs.spec.hosts ?? []).some((h) => resolveShortname(h, vs.metadata.namespace) === fqdn),
  );
}

/** Delegating or delegate VirtualServices that route `service` (`fqdn`). */
export function delegateProblems(
  all: readonly VirtualService[],
  fqdn: string,
  service: string,
): MeshProblem[] {
  const problems: MeshProblem[] = [];
  for (const vs of all) {
    const where = `VirtualService ${vs.metadata.namespace}/${vs.metadata.name}`;
    const http = vs.spec.http ?? [];
    const routing = (vs.spec.hosts ?? []).some((h) => resolveShortname(h, vs.metadata.namespace) === fqdn);
    if (routing && http.some((r) => r.delegate !== undefined)) {
      problems.push({
        reason: "DelegateVirtualService",
        message: `${where} delegates routes of ${service}; delegate VirtualServices are not supported yet`,
      });
    }
    const isDelegate = (vs.spec.hosts ?? []).length === 0;
    const sendsHere = http.some((r) =>
      (r.route ?? []).some((d) => resolveShortname(d.destination.host, vs.metadata.namespace) === fqdn),
    );
    if (isDelegate && sendsHere) {
      problems.push({
        reason: "DelegateVirtualService",
        message: `${where} is a delegate that routes to ${service}; delegate VirtualServices are not supported yet`,
      });
    }
  }
  return problems;
}

/** A Gateway API reference (parent or backend), as far as it is read here. */
interface RouteRef {
  readonly group?: string;
  readonly kind?: string;
  readonly name: string;
  readonly namespace?: string;
}

/** A Gateway API route (HTTPRoute, GRPCRoute). */
export interface GatewayApiRoute extends KubernetesObject {
  readonly spec?: {
    readonly parentRefs?: readonly RouteRef[];
    readonly rules?: readonly { readonly backendRefs?: readonly RouteRef[] }[];
  };
}

function namesService(ref: RouteRef, routeNamespace: string, service: string, namespace: string): boolean {
  return (
    (ref.group ?? "") === "" &&
    (ref.kind ?? "Service") === "Service" &&
    ref.name === service &&
    (ref.namespace ?? routeNamespace) === namespace
  );
}

/** Gateway API routes of `kind` that route to or attach to the Service `namespace/service`. */
export function gatewayApiProblems(
  kind: string,
  routes: readonly GatewayApiRoute[],
  service: string,
  namespace: string,
): MeshProblem[] {
  return routes
    .filter((r) => {
      const ns = r.metadata?.namespace ?? "";
      // parentRefs default to kind Gateway: only an explicit Service parent is mesh (GAMMA) routing.
      const parents = (r.spec?.parentRefs ?? []).filter((p) => p.kind === "Service");
      const backends = (r.spec?.rules ?? []).flatMap((rule) => rule.backendRefs ?? []);
      return [...parents, ...backends].some((ref) => namesService(ref, ns, service, namespace));
    })
    .map((r) => ({
      reason: "GatewayAPIRoute",
      message: `${kind} ${r.metadata?.namespace ?? ""}/${r.metadata?.name ?? ""} routes ${service} through the Gateway API; Gateway API routes are not supported yet`,
    }));
}
