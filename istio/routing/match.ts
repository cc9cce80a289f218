import { matchValue, stringMatchKind } from "./string-match.js";
import type { HTTPMatchRequest, StringMatch } from "../api/types.js";

/** The parts of a request that match blocks look at, prepared once per request. */
export interface MatchContext {
  /** Lower-case header names, plus the pseudo-headers `:authority`, `:method`, `:path`, `:scheme`. */
  readonly headers: Readonly<Record<string, string>>;
  /** Path without the query string (Envoy path/regex matching ignores the query). */
  readonly path: string;
  /** The full `:path`, query string included (Envoy prefix matching sees it). */
  readonly fullPath: string;
  readonly query: URLSearchParams;
}

/** Where a route is being built for: the proxy and the listener port. */
export interface ProxyContext {
  /** `mesh` or `<ns>/<gateway>`. */
  readonly gateway: string;
  readonly port: number;
  readonly sourceLabels: Readonly<Record<string, string>>;
  readonly sourceNamespace: string;
}

/** `mesh`, or a gateway name qualified with the VirtualService's namespace when it has none. */
export function qualifyGateway(name: string, vsNamespace: string): string {
  if (name === "mesh" || name.includes("/")) return name;
  return `${vsNamespace}/${name}`;
}

/** Builds the match context of a request. */
export function matchContext(req: {
  authority: string;
  method: string;
  path: string;
  headers: Readonly<Record<string, string>>;
  scheme?: string;
}): MatchContext {
  const q = req.path.indexOf("?");
  const path = q < 0 ? req.path : req.path.slice(0, q);
  const query = new URLSearchParams(q < 0 ? "" : req.path.slice(q + 1));
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
  headers[":authority"] = req.authority;
  headers[":method"] = req.method;
  headers[":path"] = req.path;
  headers[":scheme"] = req.scheme ?? headers[":scheme"] ?? "http";
  return { headers, path, fullPath: req.path, query };
}

/**
 * Whether a match block exists for this proxy at all (Istio drops the others when it builds
 * the proxy's routes): `port` must equal the listener port; `gateways`, when set, override the
 * VirtualService's and must name this proxy's gateway; otherwise `sourceLabels` must be a
 * subset of the proxy's labels and `sourceNamespace` its namespace (pilot route.go
 * translateRoute / sourceMatchHTTP).
 */
export function matchAppliesToProxy(
  match: HTTPMatchRequest,
  proxy: ProxyContext,
  vsNamespace: string,
): boolean {
  if (match.port !== undefined && match.port !== 0 && match.port !== proxy.port) return false;
  if (match.gateways !== undefined && match.gateways.length > 0) {
    return match.gateways.some((g) => qualifyGateway(g, vsNamespace) === proxy.gateway);
  }
  for (const [k, v] of Object.entries(match.sourceLabels ?? {})) {
    if (proxy.sourceLabels[k] !== v) return false;
  }
  return (
    match.sourceNamespace === undefined ||
    match.sourceNamespace === "" ||
    match.sourceNamespace === proxy.sourceNamespace
  );
}

/**
 * Envoy header matcher as Istio configures it. `headers`: the header must be present and
 * match (presence: just present). `withoutHeaders`: inverted; Istio sets
 * treat_missing_header_as_empty for value matches, so an absent header is matched as "".
 */
function headerMatches(
  name: string,
  m: StringMatch,
  headers: Readonly<Record<string, string>>,
  inverted: boolean,
): boolean {
  const value = headers[name.toLowerCase()];
  const presence = stringMatchKind(m) === "presence";
  if (presence) return inverted ? value === undefined : value !== undefined;
  if (!inverted) return value !== undefined && matchValue(m, value);
  return !matchValue(m, value ?? "");
}

/** Whether a request satisfies every condition of one match block (conditions are ANDed). */
export function requestMatches(match: HTTPMatchRequest, ctx: MatchContext): boolean {
  const ignoreCase = match.ignoreUriCase === true;
  if (match.uri !== undefined && !uriMatches(match.uri, ctx, ignoreCase)) return false;
  const pseudo: [string, StringMatch | undefined][] = [
    [":method", match.method],
    [":authority", match.authority],
    [":scheme", match.scheme],
  ];
  for (const [name, m] of pseudo) {
    if (m !== undefined && !headerMatches(name, m, ctx.headers, false)) return false;
  }
  for (const [name, m] of Object.entries(match.headers ?? {})) {
    if (!headerMatches(name, m, ctx.headers, false)) return false;
  }
  for (const [name, m] of Object.entries(match.withoutHeaders ?? {})) {
    if (!headerMatches(name, m, ctx.headers, true)) return false;
  }
  for (const [name, m] of Object.entries(match.queryParams ?? {})) {
    const value = ctx.query.get(name);
    if (value === null) return false;
    if (stringMatchKind(m) !== "presence" && !matchValue(m, value)) return false;
  }
  return true;
}

// Envoy: `path` and `safe_regex` compare the path without the query string; `prefix` compares
// the beginning of `:path`; case_sensitive=false applies to path and prefix, not safe_regex.
function uriMatches(m: StringMatch, ctx: MatchContext, ignoreCase: boolean): boolean {
  switch (stringMatchKind(m)) {
    case "exact":
      return matchValue(m, ctx.path, ignoreCase);
    case "prefix":
      return matchValue(m, ctx.fullPath, ignoreCase);
    case "regex":
      return matchValue(m, ctx.path, false);
    case "presence":
      return true;
  }
}

/**
 * Whether a match block (already known to apply to the proxy) matches every request: Istio's
 * IsCatchAllRoute, i.e. uri absent, prefix `/` or regex `*`, and no header, method, authority,
 * scheme, withoutHeaders or query-parameter condition.
 */
export function isCatchAllMatch(match: HTTPMatchRequest | undefined): boolean {
  if (match === undefined) return true;
  const uri = match.uri;
  const uriCatchAll =
    uri === undefined || stringMatchKind(uri) === "presence" || ("prefix" in uri && uri.prefix === "/");
  const noHeaders =
    Object.keys(match.headers ?? {}).length === 0 &&
    Object.keys(match.withoutHeaders ?? {}).length === 0 &&
    Object.keys(match.queryParams ?? {}).length === 0 &&
    match.method === undefined &&
    match.authority === undefined &&
    match.scheme === undefined;
  return uriCatchAll && noHeaders;
}
