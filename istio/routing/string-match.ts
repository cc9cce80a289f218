import { re2FullMatch } from "./regex.js";
import type { StringMatch } from "../api/types.js";

/** The kind of a StringMatch; `presence` is the empty match `{}`. */
export type StringMatchKind = "exact" | "prefix" | "regex" | "presence";

/**
 * Kind of a StringMatch. Istio turns `{}` and the non-RE2 `regex: "*"` into Envoy's
 * present_match (pilot route.go canBeConvertedToPresentMatch).
 */
export function stringMatchKind(m: StringMatch): StringMatchKind {
  if ("exact" in m && typeof m.exact === "string") return "exact";
  if ("prefix" in m && typeof m.prefix === "string") return "prefix";
  if ("regex" in m && typeof m.regex === "string") return m.regex === "*" ? "presence" : "regex";
  return "presence";
}

/**
 * Matches a present value against exact/prefix/regex (values are case-sensitive unless
 * `ignoreCase`, which Envoy applies to path exact/prefix only, never to safe_regex).
 */
export function matchValue(m: StringMatch, value: string, ignoreCase = false): boolean {
  if ("exact" in m && typeof m.exact === "string") {
    return ignoreCase ? value.toLowerCase() === m.exact.toLowerCase() : value === m.exact;
  }
  if ("prefix" in m && typeof m.prefix === "string") {
    return ignoreCase ? value.toLowerCase().startsWith(m.prefix.toLowerCase()) : value.startsWith(m.prefix);
  }
  if ("regex" in m && typeof m.regex === "string") {
    return m.regex === "*" || re2FullMatch(m.regex, value);
  }
  return true;
}
