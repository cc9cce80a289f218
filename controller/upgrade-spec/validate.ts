/**
 * Runtime validation of an Upgrade spec from the CLI, the HTTP API, the local store or the
 * CRD. Structure comes from the one schema (spec/schema.ts, through ajv); the rules a JSON
 * schema cannot say (steps strictly increasing, from ≠ to, duplicate services, duration
 * ranges) are checked here. Every problem says where it is and what to fix.
 */
import { Ajv, type ErrorObject } from "ajv";
import { TEMPLATE_VARIABLES, unknownVariables } from "./prometheus-plan.js";
import {
  BuiltinMetric,
  DURATION_PATTERN,
  HTTP_URL_PATTERN,
  SECRET_KEY_PATTERN,
  SECRET_NAME_PATTERN,
  UpgradeSpecSchema,
  WEBHOOK_URL_PATTERN,
  type PrometheusCheckSpec,
  type WebhookSpec,
  type UpgradeSpec,
} from "./schema.js";
import { DURATION_RANGES, formatDuration, parseDuration, type DurationField } from "./duration.js";

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
ajv.addKeyword("kind").addKeyword("modifier");
const checkSchema = ajv.compile<UpgradeSpec>(UpgradeSpecSchema);

/** One problem with a spec: a JSON-pointer-like path and what to fix. */
export interface SpecProblem {
  readonly path: string;
  readonly message: string;
}

/** The outcome of validating a spec. */
export type SpecValidation =
  | { readonly ok: true; readonly spec: UpgradeSpec }
  | { readonly ok: false; readonly problems: readonly SpecProblem[] };

/** Thrown by `parseUpgradeSpec` when a spec is refused; `problems` lists every reason. */
export class InvalidSpecError extends Error {
  /** Every problem found. */
  readonly problems: readonly SpecProblem[];
  constructor(problems: readonly SpecProblem[], options?: ErrorOptions) {
    super(`invalid Upgrade spec: ${formatProblems(problems)}`, options);
    this.name = "InvalidSpecError";
    this.problems = problems;
  }
}

/** One line per problem: `path: message`. */
export function formatProblems(problems: readonly SpecProblem[]): string {
  return problems.map((p) => `${p.path || "spec"}: ${p.message}`).join("; ");
}

/** Validate untrusted input as an Upgrade spec, returning every problem found. */
export function validateUpgradeSpec(input: unknown): SpecValidation {
  if (!checkSchema(input)) {
    return { ok: false, problems: unique((checkSchema.errors ?? []).map(describeSchemaError)) };
  }
  const problems = semanticProblems(input);
  return problems.length === 0 ? { ok: true, spec: input } : { ok: false, problems };
}

/** Validate and return the spec, or throw InvalidSpecError. */
export function parseUpgradeSpec(input: unknown): UpgradeSpec {
  const result = validateUpgradeSpec(input);
  if (!result.ok) throw new InvalidSpecError(result.problems);
  return result.spec;
}

function unique(problems: SpecProblem[]): SpecProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\n${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function pathOf(error: ErrorObject): string {
  return error.instancePath.replace(/^\//, "").replaceAll("/", ".");
}

function describeSchemaError(error: ErrorObject): SpecProblem {
  const path = pathOf(error);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "additionalProperties": {
      const field = String(params.additionalProperty);
      return {
        path: path ? `${path}.${field}` : field,
        message: `unknown field "${field}"; remove it (check its spelling)`,
      };
    }
    case "required":
      return { path, message: `missing required field "${String(params.missingProperty)}"` };
    case "pattern":
      if (params.pattern === HTTP_URL_PATTERN)
        return { path, message: "not an http(s) URL; write e.g. http://prometheus.istio-system:9090" };
      if (params.pattern === WEBHOOK_URL_PATTERN)
        return { path, message: "not an absolute http(s) URL; write e.g. http://qa-gate.ops:8080/approve" };
      if (params.pattern === SECRET_NAME_PATTERN)
        return { path, message: "not a Secret name; use lower-case letters, digits, '-' and '.'" };
      if (params.pattern === SECRET_KEY_PATTERN)
        return { path, message: "not a Secret key; use letters, digits, '-', '_' and '.'" };
      return params.pattern === DURATION_PATTERN
        ? { path, message: `not a duration; write a whole number and a unit, e.g. "30s", "10m", "500ms"` }
        : {
            path,
            message:
              "not a DNS-1123 label; use lower-case letters, digits and '-', starting and ending with a letter or digit",
          };
    case "maxLength":
    case "minLength":
      return {
        path,
        message: `length must be ${error.keyword === "maxLength" ? "at most" : "at least"} ${String(params.limit)}`,
      };
    case "minItems":
      return { path, message: `needs at least ${String(params.limit)} item(s)` };
    case "maxItems":
      return { path, message: `allows at most ${String(params.limit)} items` };
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
      return { path, message: `must be ${String(params.comparison)} ${String(params.limit)}` };
    case "type":
      return { path, message: `must be ${String(params.type)}` };
    case "enum":
      return {
        path,
        message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`,
      };
    default:
      return { path, message: error.message ?? "is invalid" };
  }
}

function semanticProblems(spec: UpgradeSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const seen = new Map<string, number>();
  spec.services.forEach((svc, i) => {
    if (svc.from === svc.to) {
      problems.push({
        path: `services.${i}.to`,
        message: `"to" equals "from" (${svc.from}); name the version to upgrade to`,
      });
    }
    const first = seen.get(svc.name);
    if (first === undefined) seen.set(svc.name, i);
    else
      problems.push({
        path: `services.${i}.name`,
        message: `service "${svc.name}" is listed twice (also at services.${first}); list each service once`,
      });
  });
  const steps = spec.strategy?.steps;
  if (steps !== undefined) {
    steps.forEach((step, i) => {
      const previous = steps[i - 1];
      if (previous !== undefined && step <= previous) {
        problems.push({
          path: `strategy.steps.${i}`,
          message: `steps must be strictly increasing; ${step} follows ${previous}`,
        });
      }
    });
    if (steps[steps.length - 1] !== 100) {
      problems.push({ path: "strategy.steps", message: "the last step must be 100" });
    }
  }
  const durations: [DurationField, string | undefined][] = [
    ["strategy.stepInterval", spec.strategy?.stepInterval],
    ["drain.maxTransactionAge", spec.drain?.maxTransactionAge],
    ["drain.timeout", spec.drain?.timeout],
    ["drain.settle", spec.drain?.settle],
  ];
  for (const [path, text] of durations) {
    if (text === undefined) continue;
    const ms = parseDuration(text);
    const range = DURATION_RANGES[path];
    if (ms === undefined || ms < range.min || ms > range.max) {
      problems.push({
        path,
        message: `${text} is out of range; use between ${formatDuration(range.min)} and ${formatDuration(range.max)}`,
      });
    }
  }
  for (const [i, check] of (spec.strategy?.analysis?.prometheus ?? []).entries()) {
    problems.push(...prometheusCheckProblems(check, `strategy.analysis.prometheus.${i}`));
  }
  problems.push(...webhookProblems(spec.strategy?.webhooks ?? []));
  return problems;
}

function prometheusCheckProblems(check: PrometheusCheckSpec, path: string): SpecProblem[] {
  const problems: SpecProblem[] = [];
  if (check.metric === undefined && check.query === undefined) {
    problems.push({ path, message: `set metric (${Object.values(BuiltinMetric).join(", ")}) or query` });
  } else if (check.metric !== undefined && check.query !== undefined) {
    problems.push({ path, message: "set metric or query, not both" });
  }
  if (check.min === undefined && check.max === undefined) {
    problems.push({ path, message: "set min, max or both" });
  } else if (check.min !== undefined && check.max !== undefined && check.min > check.max) {
    problems.push({ path, message: `min ${check.min} exceeds max ${check.max}` });
  }
  const unknown = unknownVariables(check.query ?? "");
  if (unknown.length > 0) {
    problems.push({
      path: `${path}.query`,
      message: `unknown template variable(s) ${unknown.map((v) => `{{ ${v} }}`).join(", ")}; use ${TEMPLATE_VARIABLES.join(", ")}`,
    });
  }
  if (check.window !== undefined) {
    const ms = parseDuration(check.window);
    if (ms === undefined || ms < 1_000 || ms > 24 * 3_600_000) {
      problems.push({
        path: `${path}.window`,
        message: `${check.window} is out of range; use between 1s and 24h`,
      });
    }
  }
  return problems;
}

/** Shortest and longest `timeout` of a webhook gate. */
const WEBHOOK_TIMEOUT_RANGE = { min: 100, max: 5 * 60_000 } as const;

function webhookProblems(hooks: readonly WebhookSpec[]): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const seen = new Map<string, number>();
  hooks.forEach((hook, i) => {
    const path = `strategy.webhooks.${i}`;
    const first = seen.get(hook.name);
    if (first === undefined) seen.set(hook.name, i);
    else
      problems.push({
        path: `${path}.name`,
        message: `webhook "${hook.name}" is named twice (also at strategy.webhooks.${first}); name each gate once`,
      });
    if (hook.timeout !== undefined) {
      const ms = parseDuration(hook.timeout);
      const { min, max } = WEBHOOK_TIMEOUT_RANGE;
      if (ms === undefined || ms < min || ms > max)
        problems.push({
          path: `${path}.timeout`,
          message: `${hook.timeout} is out of range; use between ${formatDuration(min)} and ${formatDuration(max)}`,
        });
    }
    const key = hook.secretRef?.key;
    if (key === "." || key === "..")
      problems.push({ path: `${path}.secretRef.key`, message: `"${key}" is not a Secret key; name the key` });
  });
  return problems;
}
