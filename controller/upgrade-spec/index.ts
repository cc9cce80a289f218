/**
 * The Upgrade spec's public API: the one schema, its type, the runtime validator and the CRD
 * schema generated from it.
 */
export {
  UpgradeSpecSchema,
  ServiceSpecSchema,
  AnalysisSchema,
  StrategySchema,
  DrainSchema,
  PrometheusCheckSchema,
  OnTimeout,
  OnMissingData,
  BuiltinMetric,
  DNS_LABEL_PATTERN,
  DURATION_PATTERN,
  type UpgradeSpec,
  type ServiceSpec,
  type AnalysisSpec,
  type PrometheusCheckSpec,
} from "./schema.js";
export { planChecks, BUILTIN_QUERIES, TEMPLATE_VARIABLES, type PlannedCheck } from "./prometheus-plan.js";
export {
  validateUpgradeSpec,
  parseUpgradeSpec,
  formatProblems,
  InvalidSpecError,
  type SpecProblem,
  type SpecValidation,
} from "./validate.js";
export { upgradeCrdSchema, type OpenApiSchema } from "./crd-schema.js";
export { parseDuration, formatDuration, DURATION_RANGES, type DurationField } from "./duration.js";
