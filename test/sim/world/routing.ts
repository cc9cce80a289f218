/**
 * How a simulated proxy routes one call: by the product's Istio evaluator (istio/routing),
 * over the config snapshot the proxy's worker threads run. This file only translates the
 * simulator's call (a host, headers, the proxy's binding) into a RouteRequest and the result
 * into what the traffic model needs: which endpoints may serve, or the local reply's flag.
 *
 * A seeded run routes thousands of calls over a few dozen config snapshots, and evaluating
 * one costs more than the rest of the call's model. Headers are the only input that varies
 * per call, and routing depends on them only through the header conditions of the
 * snapshot's match blocks. So answers are memoised per snapshot, keyed by host, binding and
 * the outcome of each condition (checked with the evaluator's own matchValue). Snapshots
 * with weighted routes are not memoised: there the answer also depends on the random draw.
 */
import type { StringMatch } from "../../../istio/api/types.js";
import { evaluate, type RouteRequest } from "../../../istio/routing/evaluate.js";
import type { HeaderMutation } from "../../../istio/routing/result.js";
import { matchValue } from "../../../istio/routing/string-match.js";
import type { MeshConfig } from "./config-store.js";

/** Where one call goes: a host, optionally a subset (with its `version` label), or a local reply. */
export type SimRoute =
  | {
      readonly kind: "forward";
      readonly host: string;
      /** Absent: every instance of the host. */
      readonly subset?: string;
      /** `version` label the subset selects; absent means every version. */
      readonly version?: string;
      readonly routeName: string;
      /**
       * The route's request header operations (Tranquil's gateway stamps append the enrolment
       * header); the callee sees the headers with them applied and propagates them.
       */
      readonly requestHeaders?: HeaderMutation;
    }
  | { readonly kind: "local"; readonly flag: "NR" | "NC" | "DR"; readonly routeName: string };

/**
 * Routes one call to `host` from a proxy bound as `binding` (`mesh` for sidecars,
 * `<namespace>/<gateway>` for gateways), with header names in lower case; `random` picks
 * among weighted destinations. Subsets in the simulator select pods by their `version` label
 * only, so that label is all the endpoint selection needs.
 */
export function routeCall(
  config: MeshConfig,
  host: string,
  headers: Readonly<Record<string, string>>,
  binding: string,
  random: () => number,
): SimRoute {
  const req: RouteRequest = { authority: host, method: "GET", path: "/", headers, gateway: binding };
  const memo = memoOf(config);
  if (memo === null) return evaluateCall(config, req, random);
  let key = `${host}\n${binding}\n`;
  for (const c of memo.conditions) {
    const value = headers[c.header];
    // Presence and the value's match together decide both `headers` and `withoutHeaders`
    // (the evaluator matches an absent header as "" for withoutHeaders).
    key += value === undefined ? "-" : "+";
    key += matchValue(c.match, value ?? "") ? "1" : "0";
  }
  let route = memo.routes.get(key);
  if (route === undefined) {
    route = evaluateCall(config, req, random);
    memo.routes.set(key, route);
  }
  return route;
}

/** One header condition of a match block: a lower-case header name and its StringMatch. */
interface HeaderCondition {
  readonly header: string;
  readonly match: StringMatch;
}

/** What is memoised for one snapshot: its distinct header conditions, and the answers. */
interface SnapshotMemo {
  readonly conditions: readonly HeaderCondition[];
  readonly routes: Map<string, SimRoute>;
}

// Snapshots are immutable and die with their run, so a WeakMap bounds the memo by the run.
const memos = new WeakMap<MeshConfig, SnapshotMemo | null>();

/** The snapshot's memo, or null when a route splits by weight (answers depend on `random`). */
function memoOf(config: MeshConfig): SnapshotMemo | null {
  let memo = memos.get(config);
  if (memo !== undefined) return memo;
  const conditions = new Map<string, HeaderCondition>();
  let weighted = false;
  for (const vs of config.virtualServices) {
    for (const route of vs.spec.http ?? []) {
      if ((route.route ?? []).length > 1) weighted = true;
      for (const m of route.match ?? []) {
        for (const [name, match] of [
          ...Object.entries(m.headers ?? {}),
          ...Object.entries(m.withoutHeaders ?? {}),
        ]) {
          const header = name.toLowerCase();
          conditions.set(`${header}\n${JSON.stringify(match)}`, { header, match });
        }
      }
    }
  }
  memo = weighted ? null : { conditions: [...conditions.values()], routes: new Map() };
  memos.set(config, memo);
  return memo;
}

function evaluateCall(config: MeshConfig, req: RouteRequest, random: () => number): SimRoute {
  const r = evaluate(config, req, random);
  if (r.kind === "local-reply") return { kind: "local", flag: r.flag, routeName: r.routeName ?? "" };
  const version = r.endpointLabels["version"];
  const m = r.requestHeaders;
  const edits = m.remove.length > 0 || Object.keys(m.set).length > 0 || Object.keys(m.add).length > 0;
  return {
    kind: "forward",
    host: r.host,
    routeName: r.routeName,
    ...(edits ? { requestHeaders: m } : {}),
    ...(r.subset === undefined ? {} : { subset: r.subset }),
    ...(version === undefined ? {} : { version }),
  };
}
