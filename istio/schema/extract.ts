/**
 * Extracts the served v1 OpenAPI schemas of VirtualService, DestinationRule, Gateway and
 * ServiceEntry from Istio's generated CRDs (shared/istio/crd-all.gen.yaml) into the vendored
 * JSON the validator loads, so the product runs without shared/ beside it. Descriptions are dropped (they do not affect
 * validation); everything else is kept as Istio wrote it.
 *
 * Usage: npx tsx istio/schema/extract.ts [crd-all.gen.yaml] [output.json]
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

/** The kinds whose schemas are vendored. */
export const VENDORED_KINDS = ["VirtualService", "DestinationRule", "Gateway", "ServiceEntry"] as const;
/** The API version vendored. */
export const VENDORED_VERSION = "v1";

const here = path.dirname(fileURLToPath(import.meta.url));

/** Where the vendored schemas live. */
export const VENDORED_SCHEMA_PATH = path.join(here, "istio-networking-v1.schema.json");

/** shared/istio/crd-all.gen.yaml, beside the repository root. */
export const SHARED_CRD_PATH = path.resolve(here, "../..", "../shared/istio/crd-all.gen.yaml");

/** The vendored file's shape. */
export interface VendoredSchemas {
  source: string;
  group: string;
  version: string;
  schemas: Record<(typeof VENDORED_KINDS)[number], Record<string, unknown>>;
}

interface CrdDoc {
  kind?: string;
  spec?: {
    group?: string;
    names?: { kind?: string };
    versions?: { name: string; schema?: { openAPIV3Schema?: Record<string, unknown> } }[];
  };
}

function stripDescriptions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripDescriptions);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "description" && typeof v === "string") continue;
    out[k] = stripDescriptions(v);
  }
  return out;
}

/** Extracts the vendored schemas from the text of crd-all.gen.yaml. */
export function extractSchemas(crdYaml: string): VendoredSchemas {
  const docs = parseAllDocuments(crdYaml).map((d) => d.toJS() as CrdDoc | null);
  const schemas: Partial<VendoredSchemas["schemas"]> = {};
  for (const kind of VENDORED_KINDS) {
    const crd = docs.find(
      (d) =>
        d?.kind === "CustomResourceDefinition" &&
        d.spec?.group === "networking.istio.io" &&
        d.spec.names?.kind === kind,
    );
    const schema = crd?.spec?.versions?.find((v) => v.name === VENDORED_VERSION)?.schema?.openAPIV3Schema;
    if (schema === undefined) {
      throw new Error(`extract Istio schema: no networking.istio.io/${VENDORED_VERSION} ${kind} in the CRDs`);
    }
    schemas[kind] = stripDescriptions(schema) as Record<string, unknown>;
  }
  return {
    source: "shared/istio/crd-all.gen.yaml",
    group: "networking.istio.io",
    version: VENDORED_VERSION,
    schemas: schemas as VendoredSchemas["schemas"],
  };
}

/** Writes the vendored file from a CRD file. */
export function writeVendoredSchemas(crdPath = SHARED_CRD_PATH, outPath = VENDORED_SCHEMA_PATH): void {
  const extracted = extractSchemas(readFileSync(crdPath, "utf8"));
  writeFileSync(outPath, JSON.stringify(extracted, null, 2) + "\n");
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeVendoredSchemas(process.argv[2], process.argv[3]);
}
