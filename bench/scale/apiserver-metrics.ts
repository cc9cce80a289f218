/**
 * The API server's own request counters (`apiserver_request_total` on kube-apiserver's
 * /metrics): parsed by verb and resource, subtracted between two scrapes, and an idle baseline
 * of the same length taken off, so what is left is what one upgrade cost the API server.
 */

/** Requests by `VERB resource` (`resource.group/subresource` when they apply). */
export type RequestCounts = Record<string, number>;

function label(line: string, name: string): string {
  return new RegExp(`[{,]${name}="([^"]*)"`).exec(line)?.[1] ?? "";
}

/** The `VERB resource[.group][/subresource]` key of one `apiserver_request_total` sample line. */
export function requestKey(line: string): string {
  const group = label(line, "group");
  const sub = label(line, "subresource");
  const resource = `${label(line, "resource")}${group === "" ? "" : `.${group}`}${sub === "" ? "" : `/${sub}`}`;
  return `${label(line, "verb")} ${resource}`;
}

/** Every `apiserver_request_total` sample of a /metrics text, summed by verb and resource (codes merged). */
export function parseRequestCounts(metricsText: string): RequestCounts {
  const counts: RequestCounts = {};
  for (const line of metricsText.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (!Number.isFinite(value)) continue;
    const key = requestKey(line);
    counts[key] = (counts[key] ?? 0) + value;
  }
  return counts;
}

/** `after − before` per key (keys only in `after` count from 0); zero differences are left out. */
export function diffCounts(before: RequestCounts, after: RequestCounts): RequestCounts {
  const out: RequestCounts = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

/**
 * What the upgrade cost: `during` minus the idle baseline scaled to the same length
 * (`idleMs` of idle against `upgradeMs` of upgrade), never below zero.
 */
export function lessBaseline(
  during: RequestCounts,
  idle: RequestCounts,
  upgradeMs: number,
  idleMs: number,
): RequestCounts {
  const scale = idleMs > 0 ? upgradeMs / idleMs : 0;
  const out: RequestCounts = {};
  for (const [k, v] of Object.entries(during)) {
    const d = v - (idle[k] ?? 0) * scale;
    if (d > 0.5) out[k] = Math.round(d);
  }
  return out;
}

/** Counts summed by verb, over the keys whose resource `keep` accepts. */
export function byVerb(counts: RequestCounts, keep: (resource: string) => boolean): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(counts)) {
    const [verb = "", resource = ""] = k.split(" ");
    if (keep(resource)) out[verb] = (out[verb] ?? 0) + v;
  }
  return out;
}

/**
 * The resources whose requests the controller makes. The rest are the cluster's own
 * controllers' (ReplicaSets, Pods, their status, EndpointSlices) and the node's; Events are
 * written by the controller and by kube-controller-manager alike, so they are reported apart.
 */
export const CONTROLLER_RESOURCES: readonly RegExp[] = [
  /^upgrades\.tranquil\.dev/,
  /^(virtualservices|destinationrules|gateways|serviceentries)\.networking\.istio\.io/,
  /^deployments\.apps(\/scale)?$/,
  /^horizontalpodautoscalers\./,
];

/**
 * Requests per upgrade the controller may make, by verb (ADR 0104): reads come from informers,
 * so direct GETs are a few (a re-read after a conflict), LISTs are the informers' relists and
 * Validating's on-demand facts, WATCHes their renewals; writes are the route epochs, the new
 * Deployment, its scaling, and a status write per status change.
 */
export const REQUEST_BUDGET: Readonly<Record<string, number>> = {
  GET: 5,
  LIST: 10,
  WATCH: 10,
  POST: 5,
  PUT: 40,
  PATCH: 10,
  DELETE: 5,
};

/** True when `resource` is one the controller itself reads or writes. */
export function isControllerResource(resource: string): boolean {
  return CONTROLLER_RESOURCES.some((r) => r.test(resource));
}
