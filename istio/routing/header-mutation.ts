import type { HeaderOperations } from "../api/types.js";
import type { HeaderMutation } from "./result.js";

/** An empty mutation. */
export function emptyMutation(): HeaderMutation {
  return { set: {}, add: {}, remove: [] };
}

// Istio never lets Envoy modify pseudo-headers or Host; `:authority`/`host` in set or add
// becomes an authority rewrite instead (pilot route.go isInternalHeader, isAuthorityHeader).
function isInternalHeader(name: string): boolean {
  return name.startsWith(":") || name === "host";
}

/**
 * Converts Istio header operations to a mutation with lower-case header names, and the
 * authority they rewrite (`set` wins over `add`), if any.
 */
export function mutationFromOperations(ops: HeaderOperations | undefined): {
  mutation: HeaderMutation;
  authority?: string;
} {
  const m = emptyMutation();
  if (ops === undefined) return { mutation: m };
  let authority: string | undefined;
  let setAuthority: string | undefined;
  for (const [k, v] of Object.entries(ops.add ?? {})) {
    const name = k.toLowerCase();
    if (name === ":authority" || name === "host") authority = v;
    if (!isInternalHeader(name)) m.add[name] = v;
  }
  for (const [k, v] of Object.entries(ops.set ?? {})) {
    const name = k.toLowerCase();
    if (name === ":authority" || name === "host") setAuthority = v;
    if (!isInternalHeader(name)) m.set[name] = v;
  }
  for (const k of ops.remove ?? []) {
    const name = k.toLowerCase();
    if (!isInternalHeader(name) && !m.remove.includes(name)) m.remove.push(name);
  }
  const auth = setAuthority ?? authority;
  return auth === undefined ? { mutation: m } : { mutation: m, authority: auth };
}

/**
 * Two operation lists in one Envoy header parser (Istio appends a single destination's
 * operations to the route's): every remove first, then `a`'s set/add, then `b`'s.
 */
export function concatMutations(a: HeaderMutation, b: HeaderMutation): HeaderMutation {
  const out = composeMutations(a, { set: b.set, add: b.add, remove: [] });
  for (const name of b.remove) if (!out.remove.includes(name)) out.remove.push(name);
  return out;
}

// Envoy appends a repeated header; Node joins repeated request headers with ", ", so do we.
function appendValue(existing: string | undefined, value: string): string {
  return existing === undefined ? value : `${existing}, ${value}`;
}

/**
 * Applies a mutation to lower-case-keyed headers and returns a new object, in Envoy's order:
 * remove first, then set (overwrite or add), then add (append to an existing value).
 */
export function applyHeaderMutation(
  headers: Readonly<Record<string, string>>,
  m: HeaderMutation,
): Record<string, string> {
  const out: Record<string, string> = { ...headers };
  for (const name of m.remove) Reflect.deleteProperty(out, name.toLowerCase());
  for (const [k, v] of Object.entries(m.set)) out[k.toLowerCase()] = v;
  for (const [k, v] of Object.entries(m.add)) {
    const name = k.toLowerCase();
    out[name] = appendValue(out[name], v);
  }
  return out;
}

/**
 * One mutation equivalent to applying `first` and then `second` (each remove, set, add).
 * Envoy applies a weighted cluster's (destination-level) header operations before the
 * route's, so route-level operations compose second and win on the same header.
 */
export function composeMutations(first: HeaderMutation, second: HeaderMutation): HeaderMutation {
  const out: HeaderMutation = {
    set: { ...first.set },
    add: { ...first.add },
    remove: [...first.remove],
  };
  for (const name of second.remove) {
    Reflect.deleteProperty(out.set, name);
    Reflect.deleteProperty(out.add, name);
    if (!out.remove.includes(name)) out.remove.push(name);
  }
  for (const [name, v] of Object.entries(second.set)) {
    Reflect.deleteProperty(out.add, name);
    out.set[name] = v;
  }
  for (const [name, v] of Object.entries(second.add)) {
    const setValue = out.set[name];
    if (setValue !== undefined) out.set[name] = appendValue(setValue, v);
    else out.add[name] = appendValue(out.add[name], v);
  }
  return out;
}
