import type { HeaderEdits } from "./route-port.js";

/** A Node header object (HTTP/1.1 or HTTP/2), mutated in place. */
export type HeaderBag = Record<string, string | string[] | number | undefined>;

/**
 * Applies Istio header operations as Envoy's `HeaderParser` does: removals first, then `set`
 * (overwrite) and `add` (append). Names are lower-cased; pseudo-headers are never touched.
 */
export function applyHeaderEdits(bag: HeaderBag, edits: readonly HeaderEdits[]): void {
  for (const e of edits) {
    for (const name of e.remove ?? []) {
      const n = name.toLowerCase();
      if (!n.startsWith(":")) Reflect.deleteProperty(bag, n);
    }
    for (const [name, value] of Object.entries(e.set ?? {})) {
      const n = name.toLowerCase();
      if (!n.startsWith(":")) bag[n] = value;
    }
    for (const [name, value] of Object.entries(e.add ?? {})) appendHeader(bag, name, value);
  }
}

/** Appends a value to a header, keeping earlier values (Envoy's append). */
export function appendHeader(bag: HeaderBag, name: string, value: string): void {
  const n = name.toLowerCase();
  if (n.startsWith(":")) return;
  const cur = bag[n];
  if (cur === undefined) bag[n] = value;
  else if (Array.isArray(cur)) bag[n] = [...cur, value];
  else bag[n] = [String(cur), value];
}

/** First value of a header as a string, or undefined. */
export function headerValue(bag: HeaderBag, name: string): string | undefined {
  const v = bag[name.toLowerCase()];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v[0];
  return String(v);
}

/** Headers as a lower-case `name → value` map (several values joined with `,`), without pseudo-headers. */
export function flattenHeaders(bag: HeaderBag): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(bag)) {
    if (v === undefined || k.startsWith(":")) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(",") : String(v);
  }
  return out;
}
