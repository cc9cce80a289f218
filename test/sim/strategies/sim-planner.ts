/**
 * The simulator's reference route planner: turns a routes intent (DESIGN §4.2–4.5) into the
 * train's VirtualServices, from the user routes as they are in the table. Tranquil routes are
 * recognised by their `tranquil-<id>-` name prefix and rebuilt from scratch on each plan, so a
 * plan is a pure function of (user routes, intent, epoch) and writing it twice is a no-op.
 * It exists so the simulator can drive decide() on its own; the product's planner lives in
 * controller/istio/routes/ and can be plugged in instead (see `RoutePlanner`).
 */
import type { HTTPMatchRequest, HTTPRoute, VirtualService } from "../../../istio/api/types.js";
import type { RoutePlanIntent, RouteOriginal } from "../../../controller/engine/types.js";
import type { MeshConfig } from "../route-eval.js";

/** What a planner needs to know about the upgrade. */
export interface PlanContext {
  readonly upgradeId: string;
  /** Train members: host, old subset, new subset. */
  readonly services: readonly { readonly name: string; readonly from: string; readonly to: string }[];
  readonly enrolmentHeader: string;
  readonly epoch: number;
  readonly intent: RoutePlanIntent;
}

/** The planned VirtualServices, the names of VirtualServices to delete, and the originals of edited user routes. */
export interface RoutePlan {
  readonly virtualServices: readonly VirtualService[];
  readonly deletes: readonly string[];
  readonly originals: readonly RouteOriginal[];
}

/** A route planner: current config + context → desired VirtualServices. */
export type RoutePlanner = (config: MeshConfig, ctx: PlanContext) => RoutePlan;

/** Escapes a literal for an RE2 pattern. */
export function escapeRe2(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}-]/g, "\\$&");
}

function andHeader(route: HTTPRoute, name: string, match: { regex: string }): HTTPMatchRequest[] {
  const blocks = route.match !== undefined && route.match.length > 0 ? route.match : [{}];
  return blocks.map((b) => ({ ...structuredClone(b), headers: { ...(b.headers ?? {}), [name]: match } }));
}

function retarget(route: HTTPRoute, subsetOf: ReadonlyMap<string, string>): HTTPRoute {
  const copy = structuredClone(route);
  for (const d of copy.route ?? []) {
    const subset = subsetOf.get(d.destination.host);
    if (subset !== undefined) d.destination = { ...d.destination, subset };
  }
  return copy;
}

/** Routes after a catch-all never reach Envoy (DESIGN §4.2). */
function reachable(http: readonly HTTPRoute[]): HTTPRoute[] {
  const out: HTTPRoute[] = [];
  for (const r of http) {
    out.push(r);
    if (r.match === undefined || r.match.length === 0) break;
  }
  return out;
}

/** Plans the train's VirtualServices for an intent. */
export const simPlanner: RoutePlanner = (config, ctx) => {
  const prefix = `tranquil-${ctx.upgradeId}-`;
  const hosts = new Set(ctx.services.map((s) => s.name));
  const from = new Map(ctx.services.map((s) => [s.name, s.from]));
  const to = new Map(ctx.services.map((s) => [s.name, s.to]));
  const { mode, pins } = ctx.intent;
  const virtualServices: VirtualService[] = [];
  const originals: RouteOriginal[] = [];
  for (const vs of config.virtualServices) {
    if (!(vs.spec.hosts ?? []).some((h) => hosts.has(h))) continue;
    const user = (vs.spec.http ?? []).filter((r) => !(r.name ?? "").startsWith(prefix));
    const targets = (r: HTTPRoute): boolean => (r.route ?? []).some((d) => hosts.has(d.destination.host));
    const reach = new Set(reachable(user));
    const http: HTTPRoute[] = [];
    const tranquil = mode === "held" || mode === "doorOpen" || mode === "flipped";
    if (ctx.intent.sentinel && mode !== "none") {
      http.push({
        name: `${prefix}e${ctx.epoch}`,
        match: [{ headers: { "x-tranquil-sentinel": { exact: `${ctx.upgradeId}-${ctx.epoch}-never` } } }],
        directResponse: { status: 599 },
      });
    }
    user.forEach((r, i) => {
      if (tranquil && reach.has(r) && targets(r)) {
        if (mode !== "held") {
          const enrolled = retarget(r, to);
          enrolled.name = `${prefix}enrolled-${i}`;
          enrolled.match = andHeader(r, ctx.enrolmentHeader, {
            regex: `(.*,\\s*)?${escapeRe2(ctx.upgradeId)}(\\s*,.*)?`,
          });
          http.push(enrolled);
          if (pins.length > 0) {
            const pin = retarget(r, from);
            pin.name = `${prefix}pins-${i}`;
            pin.match = andHeader(r, "x-request-id", { regex: pins.map(escapeRe2).join("|") });
            http.push(pin);
          }
        }
        const plain = retarget(r, mode === "flipped" ? to : from);
        plain.name = `${prefix}clone-${i}`;
        http.push(plain);
      }
      if (mode === "finalized" && targets(r)) {
        const edited = structuredClone(r);
        (edited.route ?? []).forEach((d, j) => {
          const old = from.get(d.destination.host);
          if (old !== undefined && d.destination.subset === old) {
            originals.push({
              namespace: vs.metadata.namespace,
              virtualService: vs.metadata.name,
              route: r.name ?? `#${i}`,
              destinationIndex: j,
              host: d.destination.host,
              subset: old,
            });
            d.destination = { ...d.destination, subset: to.get(d.destination.host) ?? old };
          }
        });
        http.push(edited);
        return;
      }
      http.push(structuredClone(r));
    });
    virtualServices.push({ ...structuredClone(vs), spec: { ...structuredClone(vs.spec), http } });
  }
  return { virtualServices, deletes: [], originals };
};
