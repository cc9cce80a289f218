/**
 * The route planner (pure): from the current VirtualServices, the train, the engine's route
 * intent and the epoch, the VirtualServices to write. It first strips this upgrade's own
 * routes (so planning from any earlier state gives the same result), then inserts, per user
 * route that targets a train host and that Envoy can reach: the enrolled clone, the pins and
 * the non-enrolled clone, just before it; before those, with the gateway stamps on, the stamp
 * of every reachable gateway-bound route of any host (ADR 0090); and the sentinel first.
 * Foreign routes and every other field stay as they were.
 */
import { resolveShortname } from "../../../istio/routing/hosts.js";
import type { HTTPRoute, VirtualService } from "../../../istio/api/types.js";
import { RouteMode } from "../../engine/phases.js";
import type { RouteOriginal, RoutePlanIntent } from "../../engine/types.js";
import { cloneRoute, retarget, targetsTrain, type TrainHostLookup } from "./clone.js";
import {
  enrolledName,
  heldName,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  OWNED_DEFAULT_ROUTE,
  originalsAnnotation,
  ownedObjectName,
  pinName,
  REQUEST_ID_HEADER,
  SENTINEL_HEADER,
  sentinelName,
  sentinelValue,
  stampName,
  tranquilRouteKind,
  UPGRADE_LABEL,
} from "./names.js";
import { bindingsOf, reachableRoutes } from "./reachability.js";
import { enrolmentRegex, pinRegexChunks } from "./regex.js";
import { stampRoute } from "./stamp.js";

/** One member of the train, as the planner needs it. */
export interface TrainMember {
  readonly name: string;
  readonly from: string;
  readonly to: string;
}

/** Everything the planner reads. */
export interface VirtualServicePlanInput {
  /** The upgrade's name, also its enrolment id. */
  readonly upgradeId: string;
  /** Namespace of the train's services (short names resolve here). */
  readonly namespace: string;
  readonly services: readonly TrainMember[];
  readonly intent: RoutePlanIntent;
  readonly epoch: number;
  /** The enrolment header name (install-wide setting). */
  readonly enrolmentHeader: string;
  /** Current VirtualServices (all that may route to the train). */
  readonly virtualServices: readonly VirtualService[];
}

/**
 * A reference to an object to delete, with the resourceVersion it was planned from: the
 * delete is refused (409) if the object changed since, and the write is planned again.
 */
export interface ObjectRef {
  readonly namespace: string;
  readonly name: string;
  readonly resourceVersion?: string;
}

/** The deletion precondition for an object as read. */
export function deletionRef(obj: {
  readonly metadata: { readonly namespace: string; readonly name: string; readonly resourceVersion?: string };
}): ObjectRef {
  const { namespace, name, resourceVersion } = obj.metadata;
  return resourceVersion === undefined ? { namespace, name } : { namespace, name, resourceVersion };
}

/** What to write: full desired objects (existing ones keep their resourceVersion), deletions, recorded originals. */
export interface VirtualServicePlan {
  readonly upserts: VirtualService[];
  readonly deletes: ObjectRef[];
  /** User route destinations changed by this plan (Finalizing's subset old → new). */
  readonly originals: RouteOriginal[];
}

/** Whether the intent leaves any Tranquil route in place. */
function leavesRoutes(intent: RoutePlanIntent): boolean {
  return (
    intent.sentinel ||
    intent.mode === RouteMode.Held ||
    intent.mode === RouteMode.DoorOpen ||
    intent.mode === RouteMode.Flipped
  );
}

function hostLookup(input: VirtualServicePlanInput, vsNamespace: string): TrainHostLookup {
  const byFqdn = new Map(input.services.map((s) => [resolveShortname(s.name, input.namespace), s.name]));
  return (host) => byFqdn.get(resolveShortname(host, vsNamespace));
}

function isOwned(vs: VirtualService, id: string): boolean {
  return (
    vs.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE && vs.metadata.labels[UPGRADE_LABEL] === id
  );
}

/** True when `vs` binds the mesh for `service`'s host. */
function bindsMeshFor(vs: VirtualService, fqdn: string): boolean {
  const ns = vs.metadata.namespace;
  return (
    bindingsOf(vs).includes("mesh") && (vs.spec.hosts ?? []).some((h) => resolveShortname(h, ns) === fqdn)
  );
}

function ownedVirtualService(input: VirtualServicePlanInput, service: string): VirtualService {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: {
      name: ownedObjectName(input.upgradeId, service),
      namespace: input.namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [UPGRADE_LABEL]: input.upgradeId },
    },
    spec: {
      hosts: [service],
      http: [{ name: OWNED_DEFAULT_ROUTE, route: [{ destination: { host: service } }] }],
    },
  };
}

function sentinelRoute(input: VirtualServicePlanInput): HTTPRoute {
  return {
    name: sentinelName(input.upgradeId, input.epoch),
    match: [{ headers: { [SENTINEL_HEADER]: { exact: sentinelValue(input.upgradeId) } } }],
    directResponse: { status: 503, body: { string: "tranquil sentinel: never matches" } },
  };
}

/** The clones that stand before user route `index` under the intent. */
function clonesFor(
  input: VirtualServicePlanInput,
  route: HTTPRoute,
  index: number,
  lookup: TrainHostLookup,
  pinChunks: readonly string[],
): HTTPRoute[] {
  const id = input.upgradeId;
  const mode = input.intent.mode;
  const member = new Map(input.services.map((s) => [s.name, s]));
  const oldOf = (svc: string): string => member.get(svc)?.from ?? svc;
  const newOf = (svc: string): string => member.get(svc)?.to ?? svc;
  const out: HTTPRoute[] = [];
  if (mode === RouteMode.DoorOpen || mode === RouteMode.Flipped) {
    out.push(
      cloneRoute(route, {
        name: enrolledName(id, index),
        subsetFor: newOf,
        lookup,
        requireHeaders: { [input.enrolmentHeader.toLowerCase()]: { regex: enrolmentRegex(id) } },
      }),
    );
    pinChunks.forEach((chunk, k) => {
      out.push(
        cloneRoute(route, {
          name: pinName(id, index, k),
          subsetFor: oldOf,
          lookup,
          requireHeaders: { [REQUEST_ID_HEADER]: { regex: chunk } },
        }),
      );
    });
  }
  out.push(
    cloneRoute(route, {
      name: heldName(id, index),
      subsetFor: mode === RouteMode.Flipped ? newOf : oldOf,
      lookup,
    }),
  );
  return out;
}

/** Plan one VirtualService's http list (unchanged when it routes nothing of the train). */
function planHttp(
  input: VirtualServicePlanInput,
  vs: VirtualService,
  originals: RouteOriginal[],
  pinChunks: readonly string[],
): HTTPRoute[] {
  const id = input.upgradeId;
  const lookup = hostLookup(input, vs.metadata.namespace);
  const user = (vs.spec.http ?? [])
    .filter((r) => tranquilRouteKind(id, r.name) === undefined)
    .map((r) => structuredClone(r));
  const mode = input.intent.mode;
  const member = new Map(input.services.map((s) => [s.name, s]));
  if (mode === RouteMode.Finalized) {
    user.forEach((route, index) => {
      (route.route ?? []).forEach((d, destinationIndex) => {
        const service = lookup(d.destination.host);
        const m = service === undefined ? undefined : member.get(service);
        if (m === undefined || d.destination.subset !== m.from) return;
        originals.push({
          namespace: vs.metadata.namespace,
          virtualService: vs.metadata.name,
          route: route.name ?? `#${index}`,
          destinationIndex,
          host: d.destination.host,
          subset: m.from,
        });
        retarget(d, m.to);
      });
    });
  }
  const cloning = mode === RouteMode.Held || mode === RouteMode.DoorOpen || mode === RouteMode.Flipped;
  const stamping =
    input.intent.stamps === true && (mode === RouteMode.DoorOpen || mode === RouteMode.Flipped);
  const newOf = (svc: string): string => member.get(svc)?.to ?? svc;
  const reachable = reachableRoutes(vs, user);
  const http: HTTPRoute[] = [];
  let stamped = false;
  user.forEach((route, index) => {
    const stamp =
      stamping && reachable[index] === true
        ? stampRoute(route, vs, {
            name: stampName(id, index),
            header: input.enrolmentHeader.toLowerCase(),
            value: id,
            subsetFor: newOf,
            lookup,
          })
        : undefined;
    if (stamp !== undefined) {
      http.push(stamp);
      stamped = true;
    }
    if (cloning && reachable[index] === true && targetsTrain(route, lookup))
      http.push(...clonesFor(input, route, index, lookup, pinChunks));
    http.push(route);
  });
  // A stamped VirtualService carries the sentinel too: its gateways then confirm the epoch
  // like any proxy, also when none of its hosts is in the train.
  const affected =
    stamped ||
    isOwned(vs, id) ||
    user.some((r) => targetsTrain(r, lookup)) ||
    input.services.some((s) => bindsMeshFor(vs, resolveShortname(s.name, input.namespace)));
  if (affected && input.intent.sentinel) http.unshift(sentinelRoute(input));
  return http;
}

/** The originals recorded in `vs`'s annotation for upgrade `id` (malformed content counts as none). */
function recordedOriginals(vs: VirtualService, id: string): RouteOriginal[] {
  const raw = vs.metadata.annotations?.[originalsAnnotation(id)];
  if (raw === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (o): o is RouteOriginal =>
        typeof o === "object" &&
        o !== null &&
        typeof (o as RouteOriginal).namespace === "string" &&
        typeof (o as RouteOriginal).virtualService === "string" &&
        typeof (o as RouteOriginal).route === "string" &&
        typeof (o as RouteOriginal).destinationIndex === "number" &&
        typeof (o as RouteOriginal).host === "string" &&
        typeof (o as RouteOriginal).subset === "string",
    );
  } catch {
    return [];
  }
}

const originalKey = (o: RouteOriginal): string =>
  `${o.namespace}/${o.virtualService}/${o.route}/${o.destinationIndex}`;

/**
 * The annotations `vs` should carry after this plan: in Finalizing, the destinations changed in
 * it so far (recorded before, plus `found` now); after the upgrade's last write, none.
 */
function plannedAnnotations(
  input: VirtualServicePlanInput,
  vs: VirtualService,
  found: readonly RouteOriginal[],
): { annotations: Record<string, string> | undefined; originals: RouteOriginal[] } {
  const key = originalsAnnotation(input.upgradeId);
  const rest = Object.fromEntries(Object.entries(vs.metadata.annotations ?? {}).filter(([k]) => k !== key));
  const finalizing = input.intent.mode === RouteMode.Finalized && input.intent.sentinel;
  const originals = new Map<string, RouteOriginal>();
  for (const o of [...recordedOriginals(vs, input.upgradeId), ...found]) originals.set(originalKey(o), o);
  const list = [...originals.values()];
  if (finalizing && list.length > 0)
    return { annotations: { ...rest, [key]: JSON.stringify(list) }, originals: list };
  return {
    annotations: Object.keys(rest).length > 0 || vs.metadata.annotations !== undefined ? rest : undefined,
    originals: [],
  };
}

/**
 * Plan every VirtualService for the intent. Idempotent: planning the planned objects again
 * gives no upserts. Throws when a pinned id cannot be written (too long for one regex).
 */
export function planVirtualServices(input: VirtualServicePlanInput): VirtualServicePlan {
  const id = input.upgradeId;
  const pinChunks = pinRegexChunks(input.intent.pins);
  const upserts: VirtualService[] = [];
  const deletes: ObjectRef[] = [];
  const originals: RouteOriginal[] = [];
  const keep = leavesRoutes(input.intent);
  const current = [...input.virtualServices];
  const fresh = new Set<VirtualService>();
  for (const svc of input.services) {
    const fqdn = resolveShortname(svc.name, input.namespace);
    const foreign = current.some((vs) => !isOwned(vs, id) && bindsMeshFor(vs, fqdn));
    const ownedName = ownedObjectName(id, svc.name);
    const owned = current.find(
      (vs) => isOwned(vs, id) && vs.metadata.name === ownedName && vs.metadata.namespace === input.namespace,
    );
    if (!foreign && keep && owned === undefined) {
      const created = ownedVirtualService(input, svc.name);
      current.push(created);
      fresh.add(created);
    }
    if (owned !== undefined && (foreign || !keep)) deletes.push(deletionRef(owned));
  }
  const deleted = new Set(deletes.map((d) => `${d.namespace}/${d.name}`));
  for (const vs of current) {
    if (deleted.has(`${vs.metadata.namespace}/${vs.metadata.name}`)) continue;
    const found: RouteOriginal[] = [];
    const http = planHttp(input, vs, found, pinChunks);
    const planned = plannedAnnotations(input, vs, found);
    originals.push(...planned.originals);
    const before = vs.spec.http ?? [];
    const sorted = (a: Record<string, string> | undefined): string =>
      JSON.stringify(Object.entries(a ?? {}).sort(([x], [y]) => (x < y ? -1 : 1)));
    const sameAnnotations = sorted(vs.metadata.annotations) === sorted(planned.annotations);
    if (!fresh.has(vs) && sameAnnotations && JSON.stringify(before) === JSON.stringify(http)) continue;
    const next = structuredClone(vs);
    if (vs.spec.http !== undefined || http.length > 0) next.spec.http = http;
    if (planned.annotations === undefined) delete next.metadata.annotations;
    else next.metadata.annotations = planned.annotations;
    upserts.push(next);
  }
  return { upserts, deletes, originals };
}
