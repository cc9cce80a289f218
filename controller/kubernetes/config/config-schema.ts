/**
 * The cluster controller's inputs, defined once: each option's type, default, description,
 * flag and environment variable. The parser (parse-config.ts), its validator and the usage
 * text (usage.ts) all derive from this schema, so a flag cannot exist without its variable or
 * its documentation.
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { DNS_LABEL_PATTERN, DURATION_PATTERN, HTTP_URL_PATTERN } from "../../upgrade-spec/schema.js";

/** How an option is given: a flag (absent for secrets, which stay off the command line) and a variable. */
export interface OptionSource {
  readonly flag?: `--${string}`;
  readonly env: `TRANQUIL_${string}`;
}

/** The schema keyword that carries an option's {@link OptionSource}. */
export const SOURCE_KEYWORD = "tranquilSource";

/** The log levels pino knows. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** A lower-case DNS-1123 subdomain (a Lease's name). */
const DNS_SUBDOMAIN_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

const option = <T extends TSchema>(schema: T, source: OptionSource) =>
  Type.Optional(Type.Unsafe<Static<T>>({ ...schema, [SOURCE_KEYWORD]: source }));

const duration = (description: string, defaultValue: string) =>
  Type.String({ pattern: DURATION_PATTERN, description, default: defaultValue });

/** Every option, keyed by its name in {@link ControllerInput}. */
export const ControllerInputSchema = Type.Object(
  {
    kubeconfig: option(
      Type.String({
        minLength: 1,
        description: "kubeconfig file (else KUBECONFIG, the pod's service account, ~/.kube/config)",
      }),
      { flag: "--kubeconfig", env: "TRANQUIL_KUBECONFIG" },
    ),
    context: option(Type.String({ minLength: 1, description: "kubeconfig context (else its current one)" }), {
      flag: "--context",
      env: "TRANQUIL_CONTEXT",
    }),
    namespaces: option(
      Type.String({
        minLength: 1,
        description: 'the namespaces whose Upgrades are watched: "all", or a comma-separated list',
        default: "all",
      }),
      { flag: "--namespaces", env: "TRANQUIL_NAMESPACES" },
    ),
    controllerNamespace: option(
      Type.String({
        maxLength: 63,
        pattern: DNS_LABEL_PATTERN,
        description:
          "the controller's own namespace, where its Lease lives (else the pod's service-account namespace, else tranquil-system)",
      }),
      { flag: "--controller-namespace", env: "TRANQUIL_CONTROLLER_NAMESPACE" },
    ),
    redisUrl: option(
      Type.String({
        pattern: "^rediss?(-sentinel|-cluster)?://",
        description:
          "the trace store's Redis, e.g. redis://redis.tranquil-system:6379, or through Sentinel redis-sentinel://sentinel-0:26379,sentinel-1:26379/<master name>, or a Redis Cluster redis-cluster://redis-0:6379,redis-1:6379,redis-2:6379 (required)",
      }),
      { flag: "--redis-url", env: "TRANQUIL_REDIS_URL" },
    ),
    apiAddress: option(
      Type.String({
        minLength: 1,
        description: "listen address of the HTTP API, /metrics and probes",
        default: "0.0.0.0",
      }),
      { flag: "--api-address", env: "TRANQUIL_API_ADDRESS" },
    ),
    apiPort: option(
      Type.Integer({
        minimum: 0,
        maximum: 65_535,
        description: "listen port of the HTTP API",
        default: 7070,
      }),
      { flag: "--api-port", env: "TRANQUIL_API_PORT" },
    ),
    apiAllowedHosts: option(
      Type.String({
        minLength: 1,
        description:
          "the names the /v1 API answers to (any port), comma-separated, e.g. the Service's tranquil.tranquil-system.svc; other Host headers get 421 (against DNS rebinding)",
        default: "localhost,127.0.0.1,[::1]",
      }),
      { flag: "--api-allowed-hosts", env: "TRANQUIL_API_ALLOWED_HOSTS" },
    ),
    apiMaxStreams: option(
      Type.Integer({
        minimum: 1,
        maximum: 100_000,
        description: "status streams the API keeps open at once; one more is answered 503 with Retry-After",
        default: 256,
      }),
      { flag: "--api-max-streams", env: "TRANQUIL_API_MAX_STREAMS" },
    ),
    apiTokenFile: option(
      Type.String({
        minLength: 1,
        description: "file holding the API's bearer token, e.g. a mounted Secret (or set TRANQUIL_API_TOKEN)",
      }),
      { flag: "--api-token-file", env: "TRANQUIL_API_TOKEN_FILE" },
    ),
    apiToken: option(
      Type.String({ minLength: 1, description: "the API's bearer token itself (environment only)" }),
      { env: "TRANQUIL_API_TOKEN" },
    ),
    leaseName: option(
      Type.String({
        maxLength: 253,
        pattern: DNS_SUBDOMAIN_PATTERN,
        description: "name of the leader-election Lease",
        default: "tranquil-controller",
      }),
      { flag: "--lease-name", env: "TRANQUIL_LEASE_NAME" },
    ),
    leaseDuration: option(duration("how long a standby waits for a silent leader's Lease", "15s"), {
      flag: "--lease-duration",
      env: "TRANQUIL_LEASE_DURATION",
    }),
    renewDeadline: option(duration("how long the leader acts without renewing", "10s"), {
      flag: "--renew-deadline",
      env: "TRANQUIL_RENEW_DEADLINE",
    }),
    retryPeriod: option(duration("interval between attempts to acquire or renew", "2s"), {
      flag: "--retry-period",
      env: "TRANQUIL_RETRY_PERIOD",
    }),
    prometheusAddress: option(
      Type.String({
        maxLength: 512,
        pattern: HTTP_URL_PATTERN,
        description:
          "the Prometheus the analysis queries, e.g. http://prometheus.istio-system:9090 (else only upgrades naming strategy.analysis.prometheusAddress may have Prometheus checks)",
      }),
      { flag: "--prometheus-address", env: "TRANQUIL_PROMETHEUS_ADDRESS" },
    ),
    prometheusTimeout: option(duration("how long one Prometheus query may take, retries included", "5s"), {
      flag: "--prometheus-timeout",
      env: "TRANQUIL_PROMETHEUS_TIMEOUT",
    }),
    notifyWebhook: option(
      Type.String({
        minLength: 1,
        description:
          "generic JSON webhooks notified of phase changes, rollbacks, aborts and long waits, comma-separated (docs/notifications.md)",
      }),
      { flag: "--notify-webhook", env: "TRANQUIL_NOTIFY_WEBHOOK" },
    ),
    notifyWebhookFile: option(
      Type.String({
        minLength: 1,
        description: "files of webhook URLs, one a line, comma-separated paths (a mounted Secret)",
      }),
      { flag: "--notify-webhook-file", env: "TRANQUIL_NOTIFY_WEBHOOK_FILE" },
    ),
    notifySlack: option(
      Type.String({
        minLength: 1,
        description: "Slack incoming-webhook URLs, comma-separated (environment only: they are secrets)",
      }),
      { env: "TRANQUIL_NOTIFY_SLACK" },
    ),
    notifySlackFile: option(
      Type.String({
        minLength: 1,
        description:
          "files of Slack incoming-webhook URLs, one a line, comma-separated paths (a mounted Secret)",
      }),
      { flag: "--notify-slack-file", env: "TRANQUIL_NOTIFY_SLACK_FILE" },
    ),
    notifyEvents: option(
      Type.String({
        minLength: 1,
        description: "which notifications are sent: all, none, or some of phase,rollback,abort,wait",
        default: "all",
      }),
      { flag: "--notify-events", env: "TRANQUIL_NOTIFY_EVENTS" },
    ),
    notifyWaitAfter: option(duration("how long one wait lasts before it is notified", "10m"), {
      flag: "--notify-wait-after",
      env: "TRANQUIL_NOTIFY_WAIT_AFTER",
    }),
    logLevel: option(
      Type.Union(
        LOG_LEVELS.map((l) => Type.Literal(l)),
        { description: `log level: ${LOG_LEVELS.join(", ")}`, default: "info" },
      ),
      { flag: "--log-level", env: "TRANQUIL_LOG_LEVEL" },
    ),
  },
  { additionalProperties: false },
);

/** The options as given (after defaults), before they are resolved into a {@link ControllerConfig}. */
export type ControllerInput = Static<typeof ControllerInputSchema>;

/** The name of one option. */
export type OptionName = keyof ControllerInput;

/** One option's schema, source and default, in the schema's order. */
export interface OptionSpec {
  readonly name: OptionName;
  readonly source: OptionSource;
  readonly description: string;
  readonly type: "string" | "integer";
  readonly defaultValue?: string | number;
}

/** Every option of the schema. */
export const OPTIONS: readonly OptionSpec[] = Object.entries(ControllerInputSchema.properties).map(
  ([name, schema]) => {
    const s = schema as unknown as {
      [SOURCE_KEYWORD]: OptionSource;
      description?: string;
      type?: unknown;
      default?: string | number;
    };
    return {
      name: name as OptionName,
      source: s[SOURCE_KEYWORD],
      description: s.description ?? "",
      type: s.type === "integer" ? "integer" : "string",
      ...(s.default !== undefined ? { defaultValue: s.default } : {}),
    };
  },
);

/** `--api-port (TRANQUIL_API_PORT)`, or the variable alone for an environment-only option. */
export function optionLabel(source: OptionSource): string {
  return source.flag !== undefined ? `${source.flag} (${source.env})` : source.env;
}
