import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import type { IstioObject } from "../api/types.js";
import { collectCelRules, failedCelRules, isKnownCelRule, type CelRule } from "./cel.js";
import { FieldErrorType, ValidationError, type FieldError } from "./errors.js";
import { joinField, toFieldPath, type SchemaNode } from "./field-path.js";
import vendored from "./istio-networking-v1.schema.json" with { type: "json" };
import { AdmissionDeniedError, istiodWebhookProblems } from "./istiod-webhook.js";
import { pruneUnknownFields } from "./prune.js";

/** Kinds this validator knows. */
export type IstioKind = IstioObject["kind"];
const KINDS: readonly IstioKind[] = ["VirtualService", "DestinationRule", "Gateway", "ServiceEntry"];

/** How unknown fields are treated (Kubernetes `fieldValidation`). */
export type FieldValidation = "Strict" | "Warn" | "Ignore";

/** Options of a validation. */
export interface ValidateOptions {
  /** Default `Warn`: unknown fields are pruned and reported as warnings (the API server default). */
  fieldValidation?: FieldValidation;
}

/** The object as the API server would store it, plus its warnings. */
export interface ValidationResult<T> {
  readonly object: T;
  readonly warnings: readonly string[];
}

const GROUP = "networking.istio.io";
const API_VERSION = `${GROUP}/v1`;
const schemas = vendored.schemas as unknown as Record<IstioKind, SchemaNode>;

// RFC 1123 subdomain, as the API server requires of custom resource names.
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const META_FIELDS = new Set([
  "name",
  "generateName",
  "namespace",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "labels",
  "annotations",
  "ownerReferences",
  "finalizers",
  "managedFields",
]);

function int32(n: number): boolean {
  return Number.isInteger(n) && n >= -2147483648 && n <= 2147483647;
}

function buildAjv(): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    // The CRD schemas carry Kubernetes extensions and OpenAPI-only keywords ajv does not know.
    strict: false,
    formats: {
      int32: { type: "number", validate: int32 },
      int64: { type: "number", validate: Number.isInteger },
      double: { type: "number", validate: Number.isFinite },
      byte: /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
      "date-time": (s: string) => !Number.isNaN(Date.parse(s)),
    },
  });
  // Handled outside ajv (pruning) or already expressed by the schema (int-or-string's anyOf).
  for (const keyword of [
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-int-or-string",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
  ]) {
    ajv.addKeyword({ keyword });
  }
  ajv.addKeyword({
    keyword: "x-kubernetes-validations",
    errors: true,
    validate: function cel(rules: CelRule[], data: unknown): boolean {
      const failed = failedCelRules(rules, data);
      (cel as { errors?: Partial<ErrorObject>[] }).errors = failed.map((r) => ({
        keyword: "x-kubernetes-validations",
        message: r.message ?? `failed rule: ${r.rule}`,
        params: { rule: r.rule },
      }));
      return failed.length === 0;
    },
  });
  return ajv;
}

let compiled: Record<IstioKind, ValidateFunction> | undefined;

function validators(): Record<IstioKind, ValidateFunction> {
  if (compiled !== undefined) return compiled;
  for (const rule of collectCelRules(schemas)) {
    if (!isKnownCelRule(rule)) {
      throw new Error(
        `Istio schema validator: unsupported x-kubernetes-validations rule ${JSON.stringify(rule)}`,
      );
    }
  }
  const ajv = buildAjv();
  compiled = {
    VirtualService: ajv.compile(schemas.VirtualService),
    DestinationRule: ajv.compile(schemas.DestinationRule),
    Gateway: ajv.compile(schemas.Gateway),
    ServiceEntry: ajv.compile(schemas.ServiceEntry),
  };
  return compiled;
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function valueAt(root: unknown, pointer: string): unknown {
  let cur = root;
  for (const raw of pointer.split("/").slice(1)) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    cur = cur !== null && typeof cur === "object" ? (cur as Record<string, unknown>)[seg] : undefined;
  }
  return cur;
}

/** Renders one ajv error as the API server's field error (go-openapi wording). */
function toFieldError(e: ErrorObject, root: unknown, schema: SchemaNode): FieldError | undefined {
  const field = toFieldPath(e.instancePath, schema);
  const value = valueAt(root, e.instancePath);
  const shown = JSON.stringify(value);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "required":
      return { field: joinField(field, String(p.missingProperty)), type: FieldErrorType.Required };
    case "type":
      return {
        field,
        type: FieldErrorType.Invalid,
        detail: `"${typeName(value)}": ${field} in body must be of type ${String(p.type)}: "${typeName(value)}"`,
      };
    case "enum":
      return {
        field,
        type: FieldErrorType.NotSupported,
        detail: `${shown}: supported values: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`,
      };
    case "minimum":
    case "maximum": {
      const cmp = e.keyword === "minimum" ? "greater" : "less";
      return {
        field,
        type: FieldErrorType.Invalid,
        detail: `${shown}: ${field} in body should be ${cmp} than or equal to ${String(p.limit)}`,
      };
    }
    case "maxItems":
    case "maxProperties":
      return {
        field,
        type: FieldErrorType.TooMany,
        detail: `${String(Array.isArray(value) ? value.length : Object.keys(value as object).length)}: must have at most ${String(p.limit)} items`,
      };
    case "maxLength":
      return { field, type: FieldErrorType.TooLong, detail: `may not be more than ${String(p.limit)} bytes` };
    case "format":
      return {
        field,
        type: FieldErrorType.Invalid,
        detail: `${shown}: ${field} in body must be of type ${String(p.format)}: ${shown}`,
      };
    case "oneOf": {
      const passing = p.passingSchemas as unknown[] | null;
      const found = Array.isArray(passing) ? `. Found ${String(passing.length)} valid alternatives` : "";
      return {
        field,
        type: FieldErrorType.Invalid,
        detail: `"${typeName(value)}": ${field} in body must validate one and only one schema (oneOf)${found}`,
      };
    }
    case "anyOf":
      return {
        field,
        type: FieldErrorType.Invalid,
        detail: `"${typeName(value)}": ${field} in body must validate at least one schema (anyOf)`,
      };
    case "x-kubernetes-validations":
      return {
        field,
        type: FieldErrorType.Invalid,
        detail: `"${typeName(value)}": ${e.message ?? "invalid"}`,
      };
    case "not":
      return undefined; // only inside oneOf branches, reported by the oneOf error
    default:
      return { field, type: FieldErrorType.Invalid, detail: `${shown}: ${e.message ?? e.keyword}` };
  }
}

function metadataErrors(obj: Record<string, unknown>, kind: IstioKind): FieldError[] {
  const errs: FieldError[] = [];
  if (obj.apiVersion !== API_VERSION) {
    errs.push({
      field: "apiVersion",
      type: FieldErrorType.NotSupported,
      detail: `${JSON.stringify(obj.apiVersion)}: supported values: "${API_VERSION}"`,
    });
  }
  if (obj.kind !== kind) {
    errs.push({
      field: "kind",
      type: FieldErrorType.NotSupported,
      detail: `${JSON.stringify(obj.kind)}: supported values: "${kind}"`,
    });
  }
  const meta = obj.metadata as Record<string, unknown> | undefined;
  const name = meta?.name;
  if (typeof name !== "string" || name === "") {
    errs.push({
      field: "metadata.name",
      type: FieldErrorType.Required,
      detail: "name or generateName is required",
    });
  } else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    errs.push({
      field: "metadata.name",
      type: FieldErrorType.Invalid,
      detail: `${JSON.stringify(name)}: ${DNS1123_MESSAGE}`,
    });
  }
  const ns = meta?.namespace;
  if (typeof ns !== "string" || ns === "") {
    errs.push({ field: "metadata.namespace", type: FieldErrorType.Required });
  }
  return errs;
}

/**
 * Validates a VirtualService, DestinationRule, Gateway or ServiceEntry as the Kubernetes API
 * server does for Istio's CRDs: apiVersion/kind/metadata.name/namespace, unknown fields pruned (or refused under
 * `Strict`), `status` dropped (the status subresource owns it), then Istio's v1 OpenAPI schema
 * and its CEL rules. Throws a ValidationError (422) listing every refused field; returns the
 * object as it would be stored.
 */
export function validateIstioObject<T extends IstioObject>(
  obj: T,
  options: ValidateOptions = {},
): ValidationResult<T> {
  const raw = obj as unknown as Record<string, unknown>;
  // An unknown kind is checked as a VirtualService: the kind check below then names the error.
  const kind: IstioKind = KINDS.find((k) => k === raw.kind) ?? "VirtualService";
  const rawName = (raw.metadata as { name?: unknown } | undefined)?.name;
  const objectName = typeof rawName === "string" ? rawName : "";
  const schema = schemas[kind];
  const errors = metadataErrors(raw, kind);

  const { spec } = raw;
  const pruned = pruneUnknownFields({ spec }, schema);
  const warnings: string[] = [];
  const mode = options.fieldValidation ?? "Warn";
  const metaIn = (raw.metadata ?? {}) as Record<string, unknown>;
  const droppedFields = [
    ...Object.keys(metaIn)
      .filter((k) => !META_FIELDS.has(k))
      .map((k) => `metadata.${k}`),
    ...pruned.dropped.map((ptr) => toFieldPath(ptr, schema)),
  ].sort();
  for (const field of droppedFields) {
    if (mode === "Strict")
      errors.push({ field, type: FieldErrorType.Invalid, detail: `unknown field "${field}"` });
    else if (mode === "Warn") warnings.push(`unknown field "${field}"`);
  }
  const candidate = pruned.value as Record<string, unknown>;
  const validate = validators()[kind];
  if (!validate(candidate)) {
    const seen = new Set<string>();
    for (const e of validate.errors ?? []) {
      // Errors inside oneOf/anyOf branches only explain the oneOf/anyOf error itself.
      if (/\/(oneOf|anyOf)\/\d+\//.test(e.schemaPath)) continue;
      const fe = toFieldError(e, candidate, schema);
      if (fe === undefined) continue;
      const key = `${fe.field}|${fe.type}|${fe.detail ?? ""}`;
      if (!seen.has(key)) {
        seen.add(key);
        errors.push(fe);
      }
    }
  }
  if (errors.length > 0) throw new ValidationError(kind, GROUP, objectName, errors);

  const meta: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(metaIn)) {
    if (META_FIELDS.has(k)) meta[k] = v;
  }
  const stored = {
    apiVersion: raw.apiVersion,
    kind: raw.kind,
    metadata: meta,
    spec: candidate.spec,
  } as unknown as T;
  return { object: structuredClone(stored), warnings };
}

/**
 * validateIstioObject plus istiod's validating webhook, as a write to a cluster with Istio
 * installed is checked. Throws ValidationError (422) or AdmissionDeniedError (400).
 */
export function admitIstioObject<T extends IstioObject>(
  obj: T,
  options: ValidateOptions = {},
): ValidationResult<T> {
  const result = validateIstioObject(obj, options);
  const spec = (result.object as { spec?: unknown }).spec;
  const problems =
    spec === undefined || spec === null ? ["spec is required"] : istiodWebhookProblems(result.object);
  if (problems.length > 0) throw new AdmissionDeniedError(problems);
  return result;
}
