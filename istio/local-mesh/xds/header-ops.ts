/**
 * Header mutations as Envoy's HeaderParser applies them: per level, removals first, then the
 * additions in order, each with its append action. Levels run from the weighted cluster to the
 * route, the virtual host and the route configuration, so on overwrite the least specific level
 * wins, unless the route configuration sets `most_specific_header_mutations_wins` (then the
 * order is reversed). Header-value substitutions (`%…%` formatters) are not evaluated: a value
 * that uses one is reported by `unsupportedRouteFields`.
 */
import type { EnvoyHeaderMutations, EnvoyHeaderValueOption } from "./route-config-types.js";

/** One header operation. */
export type HeaderOp =
  | { readonly op: "remove"; readonly name: string }
  | {
      readonly op: "append" | "add-if-absent" | "overwrite" | "overwrite-if-exists";
      readonly name: string;
      readonly value: string;
      /** Envoy skips an empty value unless `keep_empty_value`. */
      readonly keepEmpty: boolean;
    };

function addOp(o: EnvoyHeaderValueOption): HeaderOp {
  const name = o.header.key.toLowerCase();
  const value = o.header.value ?? "";
  const keepEmpty = o.keep_empty_value === true;
  switch (o.append_action) {
    case "ADD_IF_ABSENT":
      return { op: "add-if-absent", name, value, keepEmpty };
    case "OVERWRITE_IF_EXISTS_OR_ADD":
      return { op: "overwrite", name, value, keepEmpty };
    case "OVERWRITE_IF_EXISTS":
      return { op: "overwrite-if-exists", name, value, keepEmpty };
    case "APPEND_IF_EXISTS_OR_ADD":
      return { op: "append", name, value, keepEmpty };
    default:
      return { op: o.append === false ? "overwrite" : "append", name, value, keepEmpty };
  }
}

/** The request and response operations of one level. */
export function levelOps(level: EnvoyHeaderMutations): { request: HeaderOp[]; response: HeaderOp[] } {
  return {
    request: [
      ...(level.request_headers_to_remove ?? []).map((name): HeaderOp => ({
        op: "remove",
        name: name.toLowerCase(),
      })),
      ...(level.request_headers_to_add ?? []).map(addOp),
    ],
    response: [
      ...(level.response_headers_to_remove ?? []).map((name): HeaderOp => ({
        op: "remove",
        name: name.toLowerCase(),
      })),
      ...(level.response_headers_to_add ?? []).map(addOp),
    ],
  };
}

/** Applies `ops` in order to a header map (lower-case names, repeated values as arrays); returns a new map. */
export function applyHeaderOps(
  headers: Readonly<Record<string, string | readonly string[]>>,
  ops: readonly HeaderOp[],
): Record<string, string | readonly string[]> {
  const out = new Map<string, string | readonly string[]>(Object.entries(headers));
  for (const o of ops) {
    if (o.op === "remove") {
      out.delete(o.name);
      continue;
    }
    if (o.value === "" && !o.keepEmpty) continue;
    const current = out.get(o.name);
    if (o.op === "append") {
      out.set(
        o.name,
        current === undefined ? o.value : [...(typeof current === "string" ? [current] : current), o.value],
      );
    } else if (o.op === "add-if-absent") {
      if (current === undefined) out.set(o.name, o.value);
    } else if (o.op === "overwrite" || current !== undefined) {
      out.set(o.name, o.value);
    }
  }
  return Object.fromEntries(out);
}
