import type { SchemaNode } from "./field-path.js";

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * Drops fields the structural schema does not declare, as the API server prunes custom
 * resources: known properties recurse, map values follow `additionalProperties`, and
 * `x-kubernetes-preserve-unknown-fields` keeps unknown keys. Returns the pruned copy and the
 * JSON pointers of what was dropped (the API server reports them as warnings, or refuses
 * them under strict field validation).
 */
export function pruneUnknownFields(
  value: unknown,
  schema: SchemaNode | undefined,
  pointer = "",
  dropped: string[] = [],
): { value: unknown; dropped: string[] } {
  if (schema === undefined) return { value, dropped };
  if (Array.isArray(value)) {
    const items = schema.items as SchemaNode | undefined;
    return {
      value: value.map((v, i) => pruneUnknownFields(v, items, `${pointer}/${String(i)}`, dropped).value),
      dropped,
    };
  }
  if (!isRecord(value)) return { value, dropped };
  const props = (schema.properties ?? {}) as Record<string, SchemaNode>;
  const ap = schema.additionalProperties;
  const preserve = schema["x-kubernetes-preserve-unknown-fields"] === true;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const path = `${pointer}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`;
    if (Object.hasOwn(props, k)) out[k] = pruneUnknownFields(v, props[k], path, dropped).value;
    else if (isRecord(ap)) out[k] = pruneUnknownFields(v, ap, path, dropped).value;
    else if (preserve || ap === true) out[k] = v;
    else dropped.push(path);
  }
  return { value: out, dropped };
}
