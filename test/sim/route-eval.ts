/**
 * The simulator's router: the part of Istio's HTTP routing semantics the simulated proxies need
 * (first matching route wins, match blocks ORed and their conditions ANDed, header exact /
 * prefix / RE2 full-match regex / presence, withoutHeaders, `gateways` binding, weighted
 * destinations, directResponse, subsets resolved through the DestinationRule). Kept small and
 * fast because a seeded run routes thousands of calls; the full evaluator lives in istio/.
 */
import { RE2JS } from "re2js";
import type {
  DestinationRule,
  HTTPMatchRequest,
  HTTPRoute,
  StringMatch,
  VirtualService,
} from "../../istio/api/types.js";

/** The configuration one proxy routes by. */
export interface MeshConfig {
  readonly virtualServices: readonly VirtualService[];
  readonly destinationRules: readonly DestinationRule[];
}

/** Where one call goes: a host, optionally a subset (with its labels), or a local reply. */
export type SimRoute =
  | {
      readonly kind: "forward";
      readonly host: string;
      /** Absent: every instance of the host. */
      readonly subset?: string;
      /** `version` label the subset selects; absent means every version. */
      readonly version?: string;
      readonly routeName: string;
    }
  | { readonly kind: "local"; readonly flag: "NC" | "DR"; readonly routeName: string };

/** A compiled pattern: either a set of literals (a pure alternation such as a pin list) or RE2. */
type Compiled =
  { readonly literals: ReadonlySet<string> } | { readonly re: RE2JS; readonly memo: Map<string, boolean> };

const compiled = new Map<string, Compiled>();

/**
 * The literals of a pattern made only of escaped literals joined by `|`, else null. RE2 full
 * match of such a pattern is exactly membership in that set (pins list transaction ids so).
 */
export function literalAlternation(pattern: string): Set<string> | null {
  const out = new Set<string>();
  let current = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern.charAt(i);
    if (ch === "\\") {
      const next = pattern.charAt(i + 1);
      // Only escaped punctuation is a literal; \d, \s and friends are classes.
      if (next === "" || /[A-Za-z0-9]/.test(next)) return null;
      current += next;
      i += 1;
    } else if (ch === "|") {
      out.add(current);
      current = "";
    } else if ("^$.?*+()[]{}".includes(ch)) {
      return null;
    } else {
      current += ch;
    }
  }
  out.add(current);
  return out;
}

function regexMatches(pattern: string, value: string): boolean {
  let c = compiled.get(pattern);
  if (c === undefined) {
    const literals = literalAlternation(pattern);
    c = literals !== null ? { literals } : { re: RE2JS.compile(pattern), memo: new Map() };
    // Each run writes its own pin patterns: keep the cache bounded across thousands of runs.
    if (compiled.size > 2_000) compiled.clear();
    compiled.set(pattern, c);
  }
  if ("literals" in c) return c.literals.has(value);
  // Header values such as the enrolment header repeat: remember RE2's answer per value.
  let hit = c.memo.get(value);
  if (hit === undefined) {
    hit = c.re.matches(value);
    if (c.memo.size < 10_000) c.memo.set(value, hit);
  }
  return hit;
}

function stringMatches(m: StringMatch, value: string | undefined): boolean {
  if (value === undefined) return false;
  if ("exact" in m) return value === m.exact;
  if ("prefix" in m) return value.startsWith(m.prefix);
  if ("regex" in m) return regexMatches(m.regex, value);
  return true; // presence
}

function blockMatches(
  block: HTTPMatchRequest,
  headers: Readonly<Record<string, string>>,
  binding: string,
  vsGateways: readonly string[],
): boolean {
  const gateways = block.gateways ?? vsGateways;
  if (!gateways.includes(binding)) return false;
  for (const [name, m] of Object.entries(block.headers ?? {})) {
    if (!stringMatches(m, headers[name.toLowerCase()])) return false;
  }
  for (const [name, m] of Object.entries(block.withoutHeaders ?? {})) {
    if (stringMatches(m, headers[name.toLowerCase()])) return false;
  }
  return true;
}

function routeMatches(
  route: HTTPRoute,
  headers: Readonly<Record<string, string>>,
  binding: string,
  vsGateways: readonly string[],
): boolean {
  const blocks = route.match ?? [];
  if (blocks.length === 0) return vsGateways.includes(binding);
  return blocks.some((b) => blockMatches(b, headers, binding, vsGateways));
}

/**
 * Routes one call to `host` from a proxy bound as `binding` (`mesh` for sidecars, the gateway
 * name for gateways). `random` picks among weighted destinations.
 */
export function routeCall(
  config: MeshConfig,
  host: string,
  headers: Readonly<Record<string, string>>,
  binding: string,
  random: () => number,
): SimRoute {
  const services = config.virtualServices
    .filter((vs) => (vs.spec.hosts ?? []).includes(host))
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  for (const vs of services) {
    const vsGateways = vs.spec.gateways ?? ["mesh"];
    for (const [i, route] of (vs.spec.http ?? []).entries()) {
      if (!routeMatches(route, headers, binding, vsGateways)) continue;
      const routeName = route.name ?? `${vs.metadata.name}#${i}`;
      if (route.directResponse !== undefined) return { kind: "local", flag: "DR", routeName };
      const dests = route.route ?? [];
      const chosen = pickWeighted(dests, random);
      if (chosen === undefined) return { kind: "local", flag: "DR", routeName };
      return resolve(config, chosen.destination.host, chosen.destination.subset, routeName);
    }
  }
  return resolve(config, host, undefined, "default");
}

function pickWeighted<T extends { weight?: number }>(
  dests: readonly T[],
  random: () => number,
): T | undefined {
  if (dests.length <= 1) return dests[0];
  const total = dests.reduce((s, d) => s + (d.weight ?? 0), 0);
  if (total <= 0) return dests[0];
  let r = random() * total;
  for (const d of dests) {
    r -= d.weight ?? 0;
    if (r < 0) return d;
  }
  return dests[dests.length - 1];
}

function resolve(config: MeshConfig, host: string, subset: string | undefined, routeName: string): SimRoute {
  if (subset === undefined) return { kind: "forward", host, routeName };
  for (const dr of config.destinationRules) {
    if (dr.spec.host !== host) continue;
    const s = (dr.spec.subsets ?? []).find((x) => x.name === subset);
    if (s === undefined) continue;
    const version = s.labels?.["version"];
    return version === undefined
      ? { kind: "forward", host, subset, routeName }
      : { kind: "forward", host, subset, version, routeName };
  }
  // Envoy has no cluster for a subset its DestinationRule does not define.
  return { kind: "local", flag: "NC", routeName };
}
