/**
 * Route count and evaluation time as active traces grow: per-trace pinning (one exact
 * `x-request-id` route per active id and user route) against Tranquil's own planner for the
 * same upgrade at the same moment (door open, and flipped with the same ids as pins). Pure: no
 * data plane, only the istio/ routing evaluator over the planned VirtualServices.
 */
import { randomUUID } from "node:crypto";
import { versionSubsets, virtualService } from "../../istio/api/builders.js";
import type { VirtualService } from "../../istio/api/types.js";
import { evaluate, type RouteRequest, type RoutingSnapshot } from "../../istio/routing/evaluate.js";
import { planVirtualServices } from "../../controller/istio/routes/index.js";
import type { RoutePlanIntent } from "../../controller/engine/types.js";
import { pinnedSpec } from "../upgrades/pinning-routes.js";

const SERVICE = "reviews";
const ENROLMENT_HEADER = "x-tranquil-release";

/** The user's VirtualService: a header route then a default route, both to the service. */
export function userVirtualService(): VirtualService {
  return virtualService(SERVICE, {
    hosts: [SERVICE],
    http: [
      {
        name: "beta",
        match: [{ headers: { "x-beta": { exact: "1" } } }],
        route: [{ destination: { host: SERVICE, subset: "v1" } }],
      },
      { name: "main", route: [{ destination: { host: SERVICE, subset: "v1" } }] },
    ],
  });
}

/** How one strategy routes the service with `ids` active on the old version. */
export interface RouteLayout {
  readonly strategy: string;
  readonly virtualServices: readonly VirtualService[];
}

/** The HTTP routes of every VirtualService in the layout. */
export function routeCount(layout: RouteLayout): number {
  return layout.virtualServices.reduce((n, vs) => n + (vs.spec.http?.length ?? 0), 0);
}

/** Per-trace pinning: the user's VirtualService rewritten with one pin per id and route. */
export function pinningLayout(ids: readonly string[]): RouteLayout {
  const user = userVirtualService();
  return {
    strategy: "per-trace pinning",
    virtualServices: [{ ...user, spec: pinnedSpec({ spec: user.spec, ids, from: "v1", to: "v2" }) }],
  };
}

/** Tranquil's planner for the same upgrade: the user's objects with the plan's upserts applied. */
export function tranquilLayout(strategy: string, intent: RoutePlanIntent): RouteLayout {
  const user = userVirtualService();
  const plan = planVirtualServices({
    upgradeId: "up1",
    namespace: "default",
    services: [{ name: SERVICE, from: "v1", to: "v2" }],
    intent,
    epoch: 1,
    enrolmentHeader: ENROLMENT_HEADER,
    virtualServices: [user],
  });
  const byName = new Map([[user.metadata.name, user]]);
  for (const vs of plan.upserts) byName.set(vs.metadata.name, vs);
  return { strategy, virtualServices: [...byName.values()] };
}

/** `n` distinct UUID transaction ids. */
export function activeIds(n: number): string[] {
  return Array.from({ length: n }, () => randomUUID());
}

/** The routing snapshot the evaluator reads for a layout. */
export function snapshotOf(layout: RouteLayout): RoutingSnapshot {
  return {
    services: [SERVICE],
    virtualServices: [...layout.virtualServices],
    destinationRules: [versionSubsets(SERVICE, ["v1", "v2"])],
  };
}

/** A mesh request to the service, carrying `requestId` when given. */
export function requestFor(requestId: string | undefined): RouteRequest {
  return {
    authority: SERVICE,
    method: "GET",
    path: "/",
    headers: requestId === undefined ? {} : { "x-request-id": requestId },
    gateway: "mesh",
  };
}

/** The subset (or status) the evaluator routes `req` to. */
export function routedTo(snapshot: RoutingSnapshot, req: RouteRequest): string {
  const r = evaluate(snapshot, req, () => 0);
  return r.kind === "forward" ? (r.subset ?? "any") : `${r.status}`;
}

/** Median per-request evaluation time (ms) of `req`, over batches sized to run ≥ `minMs`. */
export function medianEvaluationMs(snapshot: RoutingSnapshot, req: RouteRequest, minMs: number): number {
  const samples: number[] = [];
  const deadline = performance.now() + minMs;
  while (samples.length < 5 || (performance.now() < deadline && samples.length < 200)) {
    const start = performance.now();
    evaluate(snapshot, req, () => 0);
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? 0;
}
