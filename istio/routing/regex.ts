import { RE2JS } from "re2js";

// Compiled patterns are reused across requests; config is small and bounded, so the cache
// is too (a proxy sees only the regexes of its own snapshot).
const compiled = new Map<string, RE2JS | Error>();

/**
 * Compiles an RE2 pattern (cached). Throws an Error naming the pattern when it is not valid
 * RE2 (Envoy rejects such config, and Istio's webhook refuses it).
 */
export function compileRe2(pattern: string): RE2JS {
  let entry = compiled.get(pattern);
  if (entry === undefined) {
    try {
      entry = RE2JS.compile(pattern);
    } catch (cause) {
      entry = new Error(`invalid RE2 regex ${JSON.stringify(pattern)}`, { cause });
    }
    compiled.set(pattern, entry);
  }
  if (entry instanceof Error) throw entry;
  return entry;
}

/**
 * RE2 full match, as Envoy's safe_regex: the pattern must match the whole input.
 * An invalid pattern matches nothing (Envoy would have refused the route config).
 */
export function re2FullMatch(pattern: string, input: string): boolean {
  try {
    return compileRe2(pattern).matches(input);
  } catch {
    return false;
  }
}

/** Whether the pattern is valid RE2. */
export function isValidRe2(pattern: string): boolean {
  try {
    compileRe2(pattern);
    return true;
  } catch {
    return false;
  }
}
