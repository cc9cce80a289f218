/**
 * What an Upgrade record must hold before the reconciler drives it: a spec the spec schema
 * accepts, a status the CRD's status schema accepts (instants as epoch ms, as the engine
 * keeps them) with the engine's bookkeeping it reads, and well-formed commands. A record that
 * fails is not reconciled: the reconciler ends it as Failed, naming the problem.
 */
import { Ajv, type ErrorObject } from "ajv";
import { Phase, Stage } from "../engine/phases.js";
import type { UpgradeStatus } from "../engine/types.js";
import type { OpenApiSchema } from "../upgrade-spec/crd-schema.js";
import { upgradeStatusSchema } from "../upgrade-spec/crd-manifest.js";
import { formatProblems, validateUpgradeSpec } from "../upgrade-spec/validate.js";

/** The status schema as the engine keeps it: RFC 3339 instants become epoch milliseconds. */
function engineStatusSchema(): OpenApiSchema {
  const schema = withNumericInstants(upgradeStatusSchema());
  const properties = (schema.properties ?? {}) as Record<string, OpenApiSchema>;
  return {
    ...schema,
    required: ["phase", "weight", "step", "conditions", "history", "engine"],
    properties: {
      ...properties,
      engine: {
        type: "object",
        required: ["stage", "stageSince", "pending", "handledCommands"],
        properties: {
          stage: { type: "string", enum: Object.values(Stage) },
          stageSince: { type: "number" },
          pending: { type: "array", items: { type: "object", required: ["kind", "key"] } },
          handledCommands: { type: "array", items: { type: "string" } },
        },
      },
    },
  };
}

function withNumericInstants(schema: OpenApiSchema): OpenApiSchema {
  if (schema.type === "string" && schema.format === "date-time") {
    return {
      type: "number",
      ...(schema.description !== undefined ? { description: schema.description } : {}),
    };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k.startsWith("x-kubernetes-")) continue;
    if (k === "properties" && typeof v === "object" && v !== null) {
      out[k] = Object.fromEntries(
        Object.entries(v as Record<string, OpenApiSchema>).map(([name, s]) => [name, withNumericInstants(s)]),
      );
    } else if (k === "items" && typeof v === "object" && v !== null) {
      out[k] = withNumericInstants(v as OpenApiSchema);
    } else out[k] = v;
  }
  return out;
}

const ajv = new Ajv({ allErrors: true, strict: false });
const checkStatus = ajv.compile<UpgradeStatus>(engineStatusSchema());
const checkCommands = ajv.compile({
  type: "array",
  items: {
    type: "object",
    required: ["kind", "token"],
    properties: { kind: { type: "string", enum: ["promote", "abort"] }, token: { type: "string" } },
  },
});

const checkSpecShape = ajv.compile({
  type: "object",
  required: ["services"],
  properties: {
    services: {
      type: "array",
      minItems: 1,
      items: { type: "object", required: ["name"], properties: { name: { type: "string" } } },
    },
  },
});

function describe(prefix: string, errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const path = prefix + e.instancePath.replaceAll("/", ".");
    const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues;
    const detail =
      allowed !== undefined ? `must be one of ${allowed.join(", ")}` : (e.message ?? "is invalid");
    return `${path}: ${detail}`;
  });
}

/** How much of the spec {@link recordProblems} checks. */
export type SpecCheck =
  /** The whole spec schema and its rules (a store loading records it wrote). */
  | "full"
  /**
   * Only what the reconciler reads before the engine's Validating phase checks the rest: an
   * object with a list of named services.
   */
  | "shape";

/** Every problem of the record's spec, status and commands (empty when the reconciler can drive it). */
export function recordProblems(record: unknown, specCheck: SpecCheck = "full"): string[] {
  if (typeof record !== "object" || record === null || Array.isArray(record)) {
    return ["the record is not an object"];
  }
  const r = record as Record<string, unknown>;
  const problems: string[] = [];
  if (r.spec === undefined) problems.push("spec: missing");
  else if (specCheck === "shape") {
    if (!checkSpecShape(r.spec)) problems.push(...describe("spec", checkSpecShape.errors));
  } else {
    const spec = validateUpgradeSpec(r.spec);
    if (!spec.ok) {
      problems.push(
        formatProblems(spec.problems.map((p) => ({ ...p, path: `spec.${p.path}`.replace(/\.$/, "") }))),
      );
    }
  }
  if (r.status === undefined) problems.push("status: missing");
  else if (!checkStatus(r.status)) problems.push(...describe("status", checkStatus.errors));
  if (r.commands !== undefined && !checkCommands(r.commands)) {
    problems.push(...describe("commands", checkCommands.errors));
  }
  return problems;
}

/** True when the record's status passes the status schema (whatever its spec). */
export function hasUsableStatus(record: unknown): boolean {
  return checkStatus((record as { status?: unknown } | null)?.status);
}

/** The record's phase when its status has a known one, else null. */
export function phaseOf(record: unknown): Phase | null {
  const status = (record as { status?: { phase?: unknown } } | null)?.status;
  const phase = typeof status === "object" && status !== null ? status.phase : undefined;
  return Object.values(Phase).includes(phase as Phase) ? (phase as Phase) : null;
}
