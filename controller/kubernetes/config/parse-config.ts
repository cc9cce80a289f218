/**
 * The cluster controller's flags and environment, parsed once into a typed configuration.
 * Each option is taken from its flag, else its `TRANQUIL_*` variable (an empty one counts as
 * unset), else its default; every problem names the flag and the variable, and the value and
 * where it came from.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Ajv } from "ajv";
import { allowedHostName } from "../../api/host-check.js";
import { redisUrlProblem } from "../../../trace-manager/store/redis-url.js";
import { parseDuration } from "../../upgrade-spec/duration.js";
import { DNS_LABEL_PATTERN } from "../../upgrade-spec/schema.js";
import { electionTimingProblems, type ElectionTimings } from "../leader/election-timings.js";
import type { NotifySettings } from "../../notify/notify-config.js";
import { apiTokenSource, type ApiTokenSource } from "./api-token.js";
import { notifySettingsOf } from "./notify-options.js";
import {
  ControllerInputSchema,
  LOG_LEVELS,
  OPTIONS,
  optionLabel,
  SOURCE_KEYWORD,
  type ControllerInput,
  type OptionName,
  type OptionSpec,
} from "./config-schema.js";
import {
  ConfigError,
  describeArgsError,
  optionOf,
  problem,
  schemaProblem,
  specOf,
  unique,
  type ConfigProblem,
  type Given,
} from "./config-problems.js";

/** Where the pod's service account mounts its namespace. */
export const SERVICE_ACCOUNT_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/** The controller's namespace when nothing else names it. */
export const DEFAULT_CONTROLLER_NAMESPACE = "tranquil-system";

/** A pino log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The cluster controller's configuration, resolved and checked. */
export interface ControllerConfig {
  /** An explicit kubeconfig and context; unset: the usual places (kube-config.ts). */
  readonly kube: { readonly kubeconfig?: string; readonly context?: string };
  /** The namespaces whose Upgrades are watched. */
  readonly namespaces: "all" | readonly string[];
  /** The controller's own namespace (its Lease's). */
  readonly controllerNamespace: string;
  readonly redisUrl: string;
  readonly api: {
    readonly address: string;
    readonly port: number;
    readonly token: ApiTokenSource;
    /** The names /v1 answers to (ADR 0088). */
    readonly allowedHosts: readonly string[];
    /** Status streams open at once (ADR 0088). */
    readonly maxStreams: number;
  };
  readonly lease: { readonly name: string } & ElectionTimings;
  /** The install's Prometheus, when one is configured, and the budget of one query. */
  readonly prometheus: { readonly address?: string; readonly timeoutMs: number };
  /** Where notifications go (no target: none are sent). */
  readonly notify: NotifySettings;
  readonly logLevel: LogLevel;
}

/** What {@link parseControllerConfig} reads. */
export interface ConfigInputs {
  /** The arguments after the program name. */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The pod's service-account namespace, if any (default: read from the mounted file). */
  readonly serviceAccountNamespace?: () => string | undefined;
}

/** Whether the arguments ask for the usage text. */
export function isHelpRequest(argv: readonly string[]): boolean {
  return argv.includes("--help") || argv.includes("-h");
}

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
ajv.addKeyword(SOURCE_KEYWORD).addKeyword("kind").addKeyword("modifier");
const check = ajv.compile<ControllerInput>(ControllerInputSchema);

/** Parses and checks the flags and environment; throws ConfigError listing every problem. */
export function parseControllerConfig(inputs: ConfigInputs): ControllerConfig {
  const flags = readFlags(inputs.argv);
  const given = new Map<OptionName, Given>();
  for (const spec of OPTIONS) {
    const fromFlag = spec.source.flag !== undefined ? flags[spec.source.flag.slice(2)] : undefined;
    const fromEnv = inputs.env[spec.source.env];
    const raw =
      fromFlag !== undefined
        ? { text: fromFlag, origin: spec.source.flag ?? "" }
        : fromEnv !== undefined && fromEnv !== ""
          ? { text: fromEnv, origin: spec.source.env }
          : undefined;
    if (raw !== undefined) given.set(spec.name, { value: convert(spec, raw.text), origin: raw.origin });
    else if (spec.defaultValue !== undefined)
      given.set(spec.name, { value: spec.defaultValue, origin: "the default" });
  }
  const input = Object.fromEntries([...given].map(([name, g]) => [name, g.value]));
  const errors = check(input) ? [] : (check.errors ?? []);
  const problems = unique(errors.map((e) => schemaProblem(e, given)));
  // Checks beyond the schema run on the options the schema accepted, so every problem shows at once.
  const refused = new Set(errors.map(optionOf));
  const config = resolve(input, given, inputs, problems, refused);
  if (problems.length > 0 || config === undefined) throw new ConfigError(problems);
  return config;
}

function readFlags(argv: readonly string[]): Record<string, string | undefined> {
  const options = Object.fromEntries(
    OPTIONS.filter((o) => o.source.flag !== undefined).map((o) => [
      (o.source.flag ?? "").slice(2),
      { type: "string" as const },
    ]),
  );
  try {
    const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
    return values;
  } catch (err) {
    throw new ConfigError([{ option: "arguments", message: describeArgsError(err) }], { cause: err });
  }
}

function convert(spec: OptionSpec, text: string): string | number {
  return spec.type === "integer" && /^-?[0-9]+$/.test(text.trim()) ? Number(text.trim()) : text;
}

function resolve(
  input: ControllerInput,
  given: Map<OptionName, Given>,
  inputs: ConfigInputs,
  problems: ConfigProblem[],
  refused: ReadonlySet<OptionName>,
): ControllerConfig | undefined {
  const namespaces = refused.has("namespaces")
    ? "all"
    : parseNamespaces(input.namespaces ?? "all", given, problems);
  if (refused.has("redisUrl")) {
    // Reported by the schema.
  } else if (input.redisUrl === undefined) {
    problems.push(
      problem(
        "redisUrl",
        "is required: the Redis URL of the trace store, e.g. redis://redis.tranquil-system:6379",
      ),
    );
  } else {
    const wrong = redisUrlProblem(input.redisUrl);
    if (wrong !== undefined) problems.push(problem("redisUrl", wrong, given.get("redisUrl")));
  }
  const timings = {
    leaseDurationMs: parseDuration(input.leaseDuration ?? "") ?? Number.NaN,
    renewDeadlineMs: parseDuration(input.renewDeadline ?? "") ?? Number.NaN,
    retryPeriodMs: parseDuration(input.retryPeriod ?? "") ?? Number.NaN,
  };
  const timingProblems = electionTimingProblems(timings);
  const timingsRefused = ["leaseDuration", "renewDeadline", "retryPeriod"].some((n) =>
    refused.has(n as OptionName),
  );
  if (timingProblems.length > 0 && !timingsRefused) {
    const values = (["leaseDuration", "renewDeadline", "retryPeriod"] as const)
      .map(
        (n) =>
          `${specOf(n).source.flag ?? ""}=${String(input[n])} (from ${given.get(n)?.origin ?? "the default"})`,
      )
      .join(", ");
    problems.push({
      option: ["leaseDuration", "renewDeadline", "retryPeriod"]
        .map((n) => optionLabel(specOf(n as OptionName).source))
        .join(", "),
      message: `${timingProblems.join("; ")}: ${values}`,
    });
  }
  const allowedHosts = refused.has("apiAllowedHosts")
    ? []
    : parseAllowedHosts(input.apiAllowedHosts ?? "", given, problems);
  const token = apiTokenSource(input, given, problems);
  const notify = notifySettingsOf(input, problems);
  if (problems.length > 0 || token === undefined || notify === undefined) return undefined;
  return {
    kube: {
      ...(input.kubeconfig !== undefined ? { kubeconfig: input.kubeconfig } : {}),
      ...(input.context !== undefined ? { context: input.context } : {}),
    },
    namespaces,
    controllerNamespace:
      input.controllerNamespace ?? serviceAccountNamespace(inputs) ?? DEFAULT_CONTROLLER_NAMESPACE,
    redisUrl: input.redisUrl ?? "",
    api: {
      address: input.apiAddress ?? "0.0.0.0",
      port: input.apiPort ?? 7070,
      token,
      allowedHosts,
      maxStreams: input.apiMaxStreams ?? 256,
    },
    lease: { name: input.leaseName ?? "tranquil-controller", ...timings },
    prometheus: {
      ...(input.prometheusAddress !== undefined ? { address: input.prometheusAddress } : {}),
      timeoutMs: parseDuration(input.prometheusTimeout ?? "5s") ?? 5_000,
    },
    notify,
    logLevel: input.logLevel ?? "info",
  };
}

const DNS_LABEL = new RegExp(DNS_LABEL_PATTERN);

function parseNamespaces(
  text: string,
  given: Map<OptionName, Given>,
  problems: ConfigProblem[],
): "all" | string[] {
  if (text.trim() === "all") return "all";
  const names = text.split(",").map((n) => n.trim());
  const bad = names.filter((n) => n === "all" || !DNS_LABEL.test(n) || n.length > 63);
  const duplicates = names.filter((n, i) => names.indexOf(n) !== i);
  if (bad.length > 0) {
    problems.push(
      problem(
        "namespaces",
        `write "all", or namespace names separated by commas; ${bad.map((n) => JSON.stringify(n)).join(", ")} ${bad.length === 1 ? "is not one" : "are not"}`,
        given.get("namespaces"),
      ),
    );
  } else if (duplicates.length > 0) {
    problems.push(
      problem(
        "namespaces",
        `names ${[...new Set(duplicates)].join(", ")} more than once`,
        given.get("namespaces"),
      ),
    );
  }
  return names;
}

function parseAllowedHosts(text: string, given: Map<OptionName, Given>, problems: ConfigProblem[]): string[] {
  const names = text.split(",").map((n) => n.trim());
  const bad = names.filter((n) => allowedHostName(n) === undefined);
  if (bad.length > 0) {
    problems.push(
      problem(
        "apiAllowedHosts",
        `write host names or addresses separated by commas (a port is not needed); ${bad.map((n) => JSON.stringify(n)).join(", ")} ${bad.length === 1 ? "is not one" : "are not"}`,
        given.get("apiAllowedHosts"),
      ),
    );
  }
  return names;
}

function serviceAccountNamespace(inputs: ConfigInputs): string | undefined {
  const read =
    inputs.serviceAccountNamespace ??
    (() => {
      try {
        return readFileSync(SERVICE_ACCOUNT_NAMESPACE_FILE, "utf8");
      } catch {
        return undefined;
      }
    });
  const ns = read()?.trim();
  return ns !== undefined && ns !== "" ? ns : undefined;
}
