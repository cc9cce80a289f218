import type { MeshSnapshot } from "../control-plane/types.js";
import { evaluate } from "../../routing/evaluate.js";
import type { HeaderMutation, RoutingResult } from "../../routing/result.js";
import { shortName, splitAuthority } from "../../routing/hosts.js";
import { DefaultRetry } from "./forward-plan.js";
import type {
  HeaderEdits,
  RouteDecision,
  RouteRequest,
  RoutingFrame,
  UpstreamEndpoint,
} from "./route-port.js";

function edits(m: HeaderMutation): HeaderEdits {
  return { set: m.set, add: m.add, remove: m.remove };
}

/** Translates the routing evaluator's result into the proxy's decision. */
export function toDecision(r: RoutingResult): RouteDecision {
  if (r.kind === "local-reply") {
    return {
      kind: "local-reply",
      status: r.status,
      flag: r.flag,
      ...(r.body !== undefined ? { body: r.body } : {}),
      ...(r.routeName !== undefined ? { routeName: r.routeName } : {}),
      ...(r.fault !== undefined ? { fault: r.fault } : {}),
    };
  }
  return {
    kind: "forward",
    host: r.host,
    port: r.port ?? 0,
    subset: r.subset ?? "",
    cluster: r.cluster,
    endpointLabels: r.endpointLabels,
    requestHeaders: [edits(r.requestHeaders)],
    responseHeaders: [edits(r.responseHeaders)],
    routeName: r.routeName,
    ...(r.timeoutMs !== undefined ? { timeoutMs: r.timeoutMs } : {}),
    retries: r.retries?.attempts ?? DefaultRetry.attempts,
    ...(r.rewrittenPath !== undefined ? { rewrittenPath: r.rewrittenPath } : {}),
    ...(r.rewrittenAuthority !== undefined ? { rewrittenAuthority: r.rewrittenAuthority } : {}),
    ...(r.fault !== undefined ? { fault: r.fault } : {}),
  };
}

/**
 * A routing frame over one MeshSnapshot: Istio routing by the evaluator, and the snapshot's
 * ready endpoints of a host. `random` draws the weighted destination; `servicePorts` lists the
 * services that exist even without endpoints (short name → ports).
 */
export function frameOf(
  snapshot: MeshSnapshot,
  namespace: string,
  random: () => number = Math.random,
  sourceLabels?: Readonly<Record<string, string>>,
  servicePorts?: Readonly<Record<string, readonly number[]>>,
): RoutingFrame {
  // Kubernetes Services exist without pods: a known service with no endpoint is `UH`, not `NC`.
  const routing = {
    ...snapshot,
    namespace,
    ...(servicePorts !== undefined ? { services: Object.keys(servicePorts), servicePorts } : {}),
  };
  return {
    epoch: snapshot.epoch,
    decide: (req: RouteRequest): RouteDecision => {
      const port = splitAuthority(req.authority).port;
      return toDecision(
        evaluate(
          routing,
          {
            ...req,
            ...(port !== undefined ? { port } : {}),
            ...(sourceLabels !== undefined ? { sourceLabels, sourceNamespace: namespace } : {}),
          },
          random,
        ),
      );
    },
    endpoints: (host: string): UpstreamEndpoint[] => {
      const svc = shortName(host);
      return snapshot.endpoints
        .filter((e) => e.service === svc)
        .map((e) => ({ address: e.address, labels: e.labels, healthy: e.ready }));
    },
  };
}

/** An empty snapshot, before the first push arrives (Envoy without RDS yet: everything is NR). */
export const EMPTY_SNAPSHOT: MeshSnapshot = {
  epoch: 0,
  virtualServices: [],
  destinationRules: [],
  gateways: [],
  serviceEntries: [],
  endpoints: [],
};
