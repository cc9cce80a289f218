/**
 * The Upgrade spec (DESIGN §5), defined once. The TypeScript type, the runtime validator
 * (spec/validate.ts) and the CRD's OpenAPI schema (spec/crd-schema.ts) all derive from it.
 */
import { Type, type Static } from "@sinclair/typebox";

/** A DNS-1123 label: lower-case alphanumerics and '-', starting and ending alphanumeric, ≤63 chars. */
export const DNS_LABEL_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

/** A duration such as "500ms", "30s", "10m" or "1h" (one number, one unit). */
export const DURATION_PATTERN = "^[0-9]+(ms|s|m|h)$";

const dnsLabel = (description: string) =>
  Type.String({ minLength: 1, maxLength: 63, pattern: DNS_LABEL_PATTERN, description });

const duration = (description: string) => Type.String({ pattern: DURATION_PATTERN, description });

/** One service of the release train: Deployment/Service name, old and new version labels. */
export const ServiceSpecSchema = Type.Object(
  {
    name: dnsLabel("Kubernetes Service (and host) to upgrade"),
    from: dnsLabel("the old version: its `version` label and DestinationRule subset"),
    to: dnsLabel("the new version: its `version` label and DestinationRule subset"),
    image: Type.Optional(
      Type.String({ minLength: 1, maxLength: 512, description: "image for the new version's Deployment" }),
    ),
  },
  { additionalProperties: false },
);

/** The built-in Prometheus checks over Istio's standard metrics (as Flagger's). */
export const BuiltinMetric = {
  /** Percent of `new`'s requests answered neither 5xx nor a gRPC error, per train service (checked with `min`). */
  RequestSuccessRate: "request-success-rate",
  /** `new`'s p99 request duration in milliseconds, per train service (checked with `max`). */
  RequestDuration: "request-duration",
} as const;
/** The name of a built-in Prometheus check. */
export type BuiltinMetric = (typeof BuiltinMetric)[keyof typeof BuiltinMetric];

/** The values `analysis.onMissingData` accepts. */
export const OnMissingData = { Fail: "fail", Wait: "wait" } as const;
/** What a Prometheus check that errs or returns no series does to the analysis. */
export type OnMissingData = (typeof OnMissingData)[keyof typeof OnMissingData];

/** An http(s) URL without query or fragment (a Prometheus address). */
export const HTTP_URL_PATTERN = "^https?://[^\\s/?#]+(/[^\\s?#]*)?$";

/** A Prometheus check run between steps: a built-in `metric` or a templated `query`, with bounds. */
export const PrometheusCheckSchema = Type.Object(
  {
    name: Type.Optional(
      Type.String({ minLength: 1, maxLength: 63, description: "a name for the check in messages" }),
    ),
    metric: Type.Optional(
      Type.Unsafe<BuiltinMetric>({
        type: "string",
        enum: [BuiltinMetric.RequestSuccessRate, BuiltinMetric.RequestDuration],
        description:
          "a built-in check over Istio's metrics, per train service: request-success-rate (percent) or request-duration (p99, ms)",
      }),
    ),
    query: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4096,
        description:
          "PromQL returning one sample; may use {{ namespace }}, {{ service }}, {{ version }}, {{ oldVersion }}, {{ window }} (run per train service when it names a service or version)",
      }),
    ),
    window: Type.Optional(duration("the range in the query's {{ window }} (default: the step interval)")),
    min: Type.Optional(Type.Number({ description: "the value must be ≥ min" })),
    max: Type.Optional(Type.Number({ description: "the value must be ≤ max" })),
  },
  { additionalProperties: false },
);

/** What the analysis between steps checks on `new` (compared over the step window). */
export const AnalysisSchema = Type.Object(
  {
    successRate: Type.Optional(
      Type.Object(
        { min: Type.Number({ minimum: 0, maximum: 100, description: "minimum success rate, percent" }) },
        { additionalProperties: false },
      ),
    ),
    latencyP99: Type.Optional(
      Type.Object(
        { maxMs: Type.Number({ exclusiveMinimum: 0, description: "maximum p99 latency, milliseconds" }) },
        { additionalProperties: false },
      ),
    ),
    prometheus: Type.Optional(Type.Array(PrometheusCheckSchema, { maxItems: 20 })),
    prometheusAddress: Type.Optional(
      Type.String({
        maxLength: 512,
        pattern: HTTP_URL_PATTERN,
        description:
          "this upgrade's Prometheus, e.g. http://prometheus.istio-system:9090 (default: the controller's)",
      }),
    ),
    onMissingData: Type.Optional(
      Type.Unsafe<OnMissingData>({
        type: "string",
        enum: [OnMissingData.Fail, OnMissingData.Wait],
        description:
          "a Prometheus check that errs or returns no series: fail (default) counts as a failed analysis; wait makes the window inconclusive and tries another",
      }),
    ),
    missingDataLimit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100,
        description:
          "with onMissingData wait: inconclusive windows in a row before the analysis fails (default 3)",
      }),
    ),
  },
  { additionalProperties: false },
);

/** The webhook gates' types, with Flagger's meanings (docs/analysis.md, ADR 0098). */
export const WebhookType = {
  /** Asked before anything is applied; the upgrade waits in Validating until every one says yes. */
  ConfirmRollout: "confirm-rollout",
  /** Asked before the first weight; a no counts against failureLimit, then rolls back. */
  PreRollout: "pre-rollout",
  /** Asked at the end of each step window, as a check of the analysis. */
  Rollout: "rollout",
  /** Asked before each weight increase below 100; the upgrade holds until every one says yes. */
  ConfirmTrafficIncrease: "confirm-traffic-increase",
  /** Asked before weight 100 (the cutover); the upgrade holds at the last step until every one says yes. */
  ConfirmPromotion: "confirm-promotion",
  /** Told once the upgrade succeeded or rolled back; its answer is only reported. */
  PostRollout: "post-rollout",
  /** Polled until the cutover's drain ends; a yes rolls back. */
  Rollback: "rollback",
  /** Told every event about the upgrade. */
  Event: "event",
} as const;
/** A webhook gate's type. */
export type WebhookType = (typeof WebhookType)[keyof typeof WebhookType];

/** An absolute http(s) URL; a query is allowed, a fragment is not (a webhook's address). */
export const WEBHOOK_URL_PATTERN = "^https?://[^\\s/?#]+([/?][^\\s#]*)?$";

/** A Secret's name: a DNS-1123 subdomain. */
export const SECRET_NAME_PATTERN = "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$";

/** A key of a Secret's data: letters, digits, '-', '_' and '.'. */
export const SECRET_KEY_PATTERN = "^[-._a-zA-Z0-9]+$";

/** A webhook gate: called with `{name, namespace, phase, checksum, metadata}`; any 2xx answer is a yes. */
export const WebhookSchema = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 63,
      description: "names the gate in the status and events",
    }),
    type: Type.Unsafe<WebhookType>({
      type: "string",
      enum: Object.values(WebhookType),
      description:
        "when it is called and what its answer does: confirm-rollout, pre-rollout, rollout, confirm-traffic-increase, confirm-promotion, post-rollout, rollback, event",
    }),
    url: Type.String({
      maxLength: 2048,
      pattern: WEBHOOK_URL_PATTERN,
      description: "absolute http(s) URL it is POSTed to",
    }),
    timeout: Type.Optional(duration("how long one call may take (default 10s)")),
    retries: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 10,
        description:
          "calls tried again after a refused connection, a timeout, a 5xx or a 429, with backoff (default 2)",
      }),
    ),
    metadata: Type.Optional(
      Type.Record(Type.String(), Type.String({ maxLength: 4096 }), {
        description: "strings sent as the payload's metadata",
      }),
    ),
    secretRef: Type.Optional(
      Type.Object(
        {
          name: Type.String({
            minLength: 1,
            maxLength: 253,
            pattern: SECRET_NAME_PATTERN,
            description:
              "a Secret in the Upgrade's namespace labelled tranquil.dev/webhook-token=true (local mesh: a directory under the secrets directory)",
          }),
          key: Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 253,
              pattern: SECRET_KEY_PATTERN,
              description: "the key holding the token (default token)",
            }),
          ),
        },
        { additionalProperties: false, description: "a bearer token sent as Authorization: Bearer <token>" },
      ),
    ),
  },
  { additionalProperties: false },
);

/** How traffic shifts: enrolment weights per step, the step interval and the analysis. */
export const StrategySchema = Type.Object(
  {
    steps: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1, maximum: 100 }), {
        minItems: 1,
        maxItems: 100,
        description: "enrolment weights in percent, strictly increasing, ending at 100",
      }),
    ),
    stepInterval: Type.Optional(duration("analysis window per step, e.g. 30s")),
    analysis: Type.Optional(AnalysisSchema),
    failureLimit: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 100, description: "failed analyses tolerated before rollback" }),
    ),
    webhooks: Type.Optional(
      Type.Array(WebhookSchema, { maxItems: 20, description: "webhook gates (ADR 0098)" }),
    ),
  },
  { additionalProperties: false },
);

/** The values `drain.onTimeout` accepts. */
export const OnTimeout = { Wait: "wait", Force: "force" } as const;
/** What to do when `drain.timeout` passes. */
export type OnTimeout = (typeof OnTimeout)[keyof typeof OnTimeout];

/** How `old` is drained before removal. */
export const DrainSchema = Type.Object(
  {
    maxTransactionAge: Type.Optional(duration("a transaction older than this may be declared lost")),
    timeout: Type.Optional(duration("how long Draining may take before onTimeout applies")),
    onTimeout: Type.Optional(
      Type.Unsafe<OnTimeout>({
        type: "string",
        enum: [OnTimeout.Wait, OnTimeout.Force],
        description: "wait: keep waiting and say why; force: finish and count what breaks",
      }),
    ),
    settle: Type.Optional(duration("how long quiet must hold before a drain step counts")),
  },
  { additionalProperties: false },
);

/** The Upgrade spec (DESIGN §5). */
export const UpgradeSpecSchema = Type.Object(
  {
    services: Type.Array(ServiceSpecSchema, {
      minItems: 1,
      maxItems: 50,
      description: "the release train: every service moves together",
    }),
    strategy: Type.Optional(StrategySchema),
    drain: Type.Optional(DrainSchema),
    paused: Type.Optional(Type.Boolean({ description: "hold the current phase" })),
    gitOpsAcknowledged: Type.Optional(
      Type.Boolean({ description: "proceed although a GitOps tool with self-heal manages a VirtualService" }),
    ),
  },
  { additionalProperties: false },
);

/** The Upgrade spec as plain data. */
export type UpgradeSpec = Static<typeof UpgradeSpecSchema>;
/** One member of the release train. */
export type ServiceSpec = Static<typeof ServiceSpecSchema>;
/** The analysis section of the strategy. */
export type AnalysisSpec = Static<typeof AnalysisSchema>;
/** One Prometheus check of the analysis. */
export type PrometheusCheckSpec = Static<typeof PrometheusCheckSchema>;
/** One webhook gate of the strategy. */
export type WebhookSpec = Static<typeof WebhookSchema>;
