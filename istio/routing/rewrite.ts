import { compileRe2 } from "./regex.js";
import { stringMatchKind } from "./string-match.js";
import type { HTTPMatchRequest, HTTPRedirect, HTTPRewrite } from "../api/types.js";

function splitQuery(path: string): [string, string] {
  const q = path.indexOf("?");
  return q < 0 ? [path, ""] : [path.slice(0, q), path.slice(q)];
}

/** RE2 substitution `\1` (Envoy's syntax) → re2js `$1`; literal `$` escaped. */
function toRe2jsReplacement(sub: string): string {
  return sub.replace(/\$/g, "$$$$").replace(/\\(\d)/g, "$$$1");
}

/**
 * The path Envoy forwards after Istio's `rewrite`: `uriRegexRewrite` replaces every RE2 match
 * in the path (query kept); `uri` is a prefix_rewrite of what the match block matched (its
 * uri prefix, the whole path for an exact match, `/` when the block has no uri). Undefined
 * when the route does not rewrite the path.
 */
export function rewritePath(
  rewrite: HTTPRewrite | undefined,
  match: HTTPMatchRequest | undefined,
  path: string,
): string | undefined {
  if (rewrite === undefined) return undefined;
  const [p, query] = splitQuery(path);
  const rr = rewrite.uriRegexRewrite;
  if (rr?.match !== undefined) {
    const replaced = compileRe2(rr.match)
      .matcher(p)
      .replaceAll(toRe2jsReplacement(rr.rewrite ?? ""));
    return replaced + query;
  }
  if (rewrite.uri === undefined || rewrite.uri === "") return undefined;
  const uri = match?.uri;
  let matched = "/";
  if (uri !== undefined) {
    const kind = stringMatchKind(uri);
    if (kind === "exact" && "exact" in uri) matched = uri.exact;
    else if (kind === "prefix" && "prefix" in uri) matched = uri.prefix;
    else if (kind === "regex") return undefined; // Envoy refuses prefix_rewrite with safe_regex
  }
  return rewrite.uri + path.slice(matched.length);
}

/** The `Location` of an Istio redirect (Envoy RedirectAction, Istio ApplyRedirect). */
export function redirectLocation(
  redirect: HTTPRedirect,
  request: { host: string; port: number; path: string },
): string {
  const scheme = redirect.scheme ?? "http";
  const host = redirect.authority ?? request.host;
  let port: number | undefined = redirect.port;
  if (redirect.derivePort === "FROM_REQUEST_PORT") port = request.port;
  const defaultPort = (scheme === "http" && port === 80) || (scheme === "https" && port === 443);
  const portPart = port === undefined || defaultPort ? "" : `:${String(port)}`;
  const path = redirect.uri ?? request.path;
  return `${scheme}://${host}${portPart}${path}`;
}

/** Redirect status Istio accepts (0 → 301); others make Istio drop the route action. */
export function redirectStatus(redirect: HTTPRedirect): number | undefined {
  const code = redirect.redirectCode ?? 0;
  if (code === 0) return 301;
  return [301, 302, 303, 307, 308].includes(code) ? code : undefined;
}
