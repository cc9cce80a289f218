/**
 * Envoy's request matchers as its router evaluates them: StringMatcher, HeaderMatcher (values
 * of a repeated header joined by `,`; a missing header matches only `present_match: false`, or
 * its inversion, unless `treat_missing_header_as_empty`), QueryParameterMatcher (first value,
 * percent-decoded; missing never matches) and the path specifiers of RouteMatch.
 */
import { re2FullMatch } from "../../routing/regex.js";
import type {
  EnvoyHeaderMatcher,
  EnvoyQueryParameterMatcher,
  EnvoyRouteMatch,
  EnvoyStringMatcher,
} from "./route-config-types.js";

/** A request as the router sees it: lower-case header names, each with all its values. */
export interface EnvoyRequest {
  /** `:path`, query string included. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
}

/** `StringMatcher.match`: `ignore_case` applies to exact/prefix/suffix/contains, never to safe_regex. */
export function matchString(m: EnvoyStringMatcher, value: string): boolean {
  const fold = m.ignore_case === true;
  const v = fold ? value.toLowerCase() : value;
  const f = (s: string): string => (fold ? s.toLowerCase() : s);
  if (m.exact !== undefined) return v === f(m.exact);
  if (m.prefix !== undefined) return v.startsWith(f(m.prefix));
  if (m.suffix !== undefined) return v.endsWith(f(m.suffix));
  if (m.contains !== undefined) return v.includes(f(m.contains));
  if (m.safe_regex !== undefined) return re2FullMatch(m.safe_regex.regex, value);
  return false;
}

/** All values of a header joined by `,` (Envoy's getAllOfHeaderAsString), or undefined when absent. */
export function headerValue(req: EnvoyRequest, name: string): string | undefined {
  const raw = req.headers[name.toLowerCase()];
  if (raw === undefined) return undefined;
  if (typeof raw === "string") return raw;
  return raw.length === 0 ? undefined : raw.join(",");
}

function int64(v: string | number): number {
  return typeof v === "number" ? v : Number(v);
}

/** `HeaderUtility::matchHeaders` for one matcher. */
export function matchHeader(m: EnvoyHeaderMatcher, req: EnvoyRequest): boolean {
  const present = m.present_match;
  const isPresence =
    m.exact_match === undefined &&
    m.safe_regex_match === undefined &&
    m.range_match === undefined &&
    m.prefix_match === undefined &&
    m.suffix_match === undefined &&
    m.contains_match === undefined &&
    m.string_match === undefined;
  // A matcher with no specifier is a presence matcher (present_match defaults to true there).
  const wantPresent = isPresence ? present !== false : true;
  const invert = m.invert_match === true;
  const found = headerValue(req, m.name);
  if (found === undefined && m.treat_missing_header_as_empty !== true) {
    return isPresence && (invert ? wantPresent : !wantPresent);
  }
  const value = found ?? "";
  let match: boolean;
  if (m.exact_match !== undefined) match = m.exact_match === "" || value === m.exact_match;
  else if (m.safe_regex_match !== undefined) match = re2FullMatch(m.safe_regex_match.regex, value);
  else if (m.range_match !== undefined) {
    const n = /^-?\d+$/.test(value) ? Number(value) : NaN;
    match = Number.isSafeInteger(n) && n >= int64(m.range_match.start) && n < int64(m.range_match.end);
  } else if (m.prefix_match !== undefined) match = value.startsWith(m.prefix_match);
  else if (m.suffix_match !== undefined) match = value.endsWith(m.suffix_match);
  else if (m.contains_match !== undefined) match = value.includes(m.contains_match);
  else if (m.string_match !== undefined) match = matchString(m.string_match, value);
  else match = wantPresent;
  return match !== invert;
}

/** The query string's parameters, percent-decoded (`+` stays a plus, as in Envoy). */
function queryParams(path: string): Map<string, string> {
  const q = path.indexOf("?");
  const out = new Map<string, string>();
  if (q < 0) return out;
  const end = path.indexOf("#", q);
  for (const pair of path.slice(q + 1, end < 0 ? undefined : end).split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const decode = (s: string): string => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    };
    const name = decode(eq < 0 ? pair : pair.slice(0, eq));
    if (!out.has(name)) out.set(name, eq < 0 ? "" : decode(pair.slice(eq + 1)));
  }
  return out;
}

/** `QueryParameterMatcher.matches`: the first value of the parameter. */
export function matchQueryParameter(m: EnvoyQueryParameterMatcher, req: EnvoyRequest): boolean {
  const value = queryParams(req.path).get(m.name);
  if (value === undefined) return false;
  if (m.present_match === true) return true;
  if (m.string_match === undefined) return true;
  return matchString(m.string_match, value);
}

function withoutQuery(path: string): string {
  const cut = path.search(/[?#]/);
  return cut < 0 ? path : path.slice(0, cut);
}

/**
 * The RouteMatch path specifier: `prefix` compares the start of `:path` (query included),
 * `path` and `path_separated_prefix` the path without its query, `safe_regex` the path without
 * its query in full; `case_sensitive: false` folds case for prefix, path and separated prefix.
 * A match with no path specifier matches nothing (Envoy requires one).
 */
export function matchPath(m: EnvoyRouteMatch, path: string): boolean {
  const fold = m.case_sensitive === false;
  const f = (s: string): string => (fold ? s.toLowerCase() : s);
  if (m.prefix !== undefined) return f(path).startsWith(f(m.prefix));
  if (m.path !== undefined) return f(withoutQuery(path)) === f(m.path);
  if (m.path_separated_prefix !== undefined) {
    const p = f(withoutQuery(path));
    const prefix = f(m.path_separated_prefix);
    return p === prefix || p.startsWith(`${prefix}/`);
  }
  if (m.safe_regex !== undefined) return re2FullMatch(m.safe_regex.regex, withoutQuery(path));
  return false;
}
