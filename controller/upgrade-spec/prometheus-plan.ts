/**
 * The Prometheus checks of a spec as the queries to run: built-in checks over Istio's standard
 * metrics and templated queries, rendered with the upgrade's variables and expanded per train
 * service when they name one. Pure: the observer runs what this plans, the analysis judges it.
 */
import { parseDuration } from "./duration.js";
import { BuiltinMetric, type PrometheusCheckSpec, type UpgradeSpec } from "./schema.js";

/** The variables a query template may name, as `{{ name }}`. */
export const TEMPLATE_VARIABLES = ["namespace", "service", "version", "oldVersion", "window"] as const;
/** One template variable. */
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

/** Variables that make a query run once per train service. */
const PER_SERVICE: readonly TemplateVariable[] = ["service", "version", "oldVersion"];

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** The window a check's rate() covers when neither the check nor the strategy names one. */
export const DEFAULT_WINDOW = "30s";

// The same selection as Flagger's Istio checks, on `new`'s own sidecars (reporter destination).
const NEW_AT_DESTINATION =
  'reporter="destination",destination_workload_namespace="{{ namespace }}",destination_service_name="{{ service }}",destination_version="{{ version }}"';

/**
 * The built-in checks' templates, over `istio_requests_total` and
 * `istio_request_duration_milliseconds`. A success is what the TraceManagers count as one: no
 * 5xx, and a gRPC call only with grpc-status 0 (Flagger's query misses gRPC errors, which
 * answer HTTP 200).
 */
export const BUILTIN_QUERIES: Readonly<Record<BuiltinMetric, string>> = {
  [BuiltinMetric.RequestSuccessRate]:
    `100 * sum(rate(istio_requests_total{${NEW_AT_DESTINATION},response_code!~"5.*",grpc_response_status=~"0|"}[{{ window }}]))` +
    ` / sum(rate(istio_requests_total{${NEW_AT_DESTINATION}}[{{ window }}]))`,
  [BuiltinMetric.RequestDuration]: `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${NEW_AT_DESTINATION}}[{{ window }}])))`,
};

/** One query to run and judge. */
export interface PlannedCheck {
  /** Index of the check in `strategy.analysis.prometheus`. */
  readonly index: number;
  /** How messages name it: `request-success-rate of reviews@v2`, or the check's name, or "". */
  readonly label: string;
  /** The rendered PromQL; also the key of its value in the observations. */
  readonly query: string;
  readonly min?: number;
  readonly max?: number;
}

/** The names in a template that are not {@link TEMPLATE_VARIABLES}. */
export function unknownVariables(template: string): string[] {
  const known = new Set<string>(TEMPLATE_VARIABLES);
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? "").filter((name) => !known.has(name));
}

/** The template of a check: its built-in query or its own. */
export function templateOf(check: PrometheusCheckSpec): string {
  return check.metric !== undefined ? BUILTIN_QUERIES[check.metric] : (check.query ?? "");
}

/** Every query the spec's Prometheus checks run, for an upgrade in `namespace`. */
export function planChecks(spec: UpgradeSpec, namespace: string): PlannedCheck[] {
  const checks = spec.strategy?.analysis?.prometheus ?? [];
  const stepWindow = spec.strategy?.stepInterval ?? DEFAULT_WINDOW;
  return checks.flatMap((check, index) => {
    const template = templateOf(check);
    const window = promDuration(check.window ?? stepWindow);
    const bounds = {
      ...(check.min !== undefined ? { min: check.min } : {}),
      ...(check.max !== undefined ? { max: check.max } : {}),
    };
    const named = [...template.matchAll(PLACEHOLDER)].map((m) => m[1] as TemplateVariable);
    const perService = check.metric !== undefined || named.some((v) => PER_SERVICE.includes(v));
    if (!perService) {
      return [{ index, label: check.name ?? "", query: render(template, { namespace, window }), ...bounds }];
    }
    return spec.services.map((svc) => ({
      index,
      label: `${check.name ?? check.metric ?? "check"} of ${svc.name}@${svc.to}`,
      query: render(template, {
        namespace,
        window,
        service: svc.name,
        version: svc.to,
        oldVersion: svc.from,
      }),
      ...bounds,
    }));
  });
}

function render(template: string, vars: Partial<Record<TemplateVariable, string>>): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => vars[name as TemplateVariable] ?? whole);
}

/** A spec duration as PromQL writes it (whole units only: "1500ms" stays in ms). */
function promDuration(text: string): string {
  const ms = parseDuration(text);
  return ms === undefined ? text : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
