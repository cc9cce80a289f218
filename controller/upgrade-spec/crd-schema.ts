/**
 * The CRD's OpenAPI v3 schema for `Upgrade.spec`, generated from the one spec schema. The
 * result is structural (Kubernetes' rules): every node has a type, no $ref, no
 * additionalProperties: false (structural schemas prune unknown fields instead), and no
 * TypeBox bookkeeping keys.
 */
import { UpgradeSpecSchema } from "./schema.js";

/** A JSON-schema node as the CRD carries it. */
export type OpenApiSchema = { [key: string]: unknown };

/** Keys the CRD's openAPIV3Schema accepts that the spec schema uses. */
const ALLOWED = new Set([
  "type",
  "description",
  "properties",
  "required",
  "items",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "minLength",
  "maxLength",
  "pattern",
  "minItems",
  "maxItems",
  "enum",
  "patternProperties",
]);

function convert(node: unknown): OpenApiSchema {
  if (typeof node !== "object" || node === null) throw new Error("spec schema node is not an object");
  const out: OpenApiSchema = {};
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (!ALLOWED.has(key)) continue;
    if (key === "properties") {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([name, child]) => [name, convert(child)]),
      );
    } else if (key === "patternProperties") {
      // A map of strings (TypeBox's Record): structural schemas say it with additionalProperties.
      const [child] = Object.values(value as Record<string, unknown>);
      out.additionalProperties = convert(child);
    } else if (key === "items") {
      out.items = convert(value);
    } else if (key === "exclusiveMinimum" && typeof value === "number") {
      // OpenAPI v3.0 (the CRD dialect) spells an exclusive bound as a flag on minimum.
      out.minimum = value;
      out.exclusiveMinimum = true;
    } else {
      out[key] = structuredClone(value);
    }
  }
  if (out.type === undefined)
    throw new Error(`spec schema node without a type: ${JSON.stringify(node).slice(0, 120)}`);
  return out;
}

/** The structural OpenAPI v3 schema of `Upgrade.spec` for the CRD. */
export function upgradeCrdSchema(): OpenApiSchema {
  return convert(UpgradeSpecSchema);
}
