/**
 * The cluster controller's flags and environment, parsed once into a typed configuration.
 * Each option is taken from its flag, else its `TRANQUIL_*` variable (an empty one counts as
 * unset), else its default; every problem names the flag and the variable, and the value and
 * where it came from.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Ajv, type ErrorObject } from "ajv";
import { parseDuration } from "../../upgrade-spec/duration.js";
import { DNS_LABEL_PATTERN, DURATION_PATTERN } from "../../upgrade-spec/schema.js";
import { electionTimingProblems, type ElectionTimings } from "../leader/election-timings.js";
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

/** Where the pod's service account mounts its namespace. */
export const SERVICE_ACCOUNT_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/** The controller's namespace when nothing else names it. */
export const DEFAULT_CONTROLLER_NAMESPACE = "tranquil-system";

/** Where the API's bearer token comes from. */
export type ApiTokenSource =
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "env"; readonly variable: "TRANQUIL_API_TOKEN"; readonly value: string };

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
  readonly api: { readonly address: string; readonly port: number; readonly token: ApiTokenSource };
  readonly lease: { readonly name: string } & ElectionTimings;
  readonly logLevel: LogLevel;
}

/** One problem with the flags or environment. */
export interface ConfigProblem {
  /** `--api-port (TRANQUIL_API_PORT)`. */
  readonly option: string;
  readonly message: string;
}

/** Thrown by {@link parseControllerConfig}; `problems` lists every one found. */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[], options?: ErrorOptions) {
    super(
      `invalid configuration of tranquil-controller:\n${problems.map((p) => `  ${p.option}: ${p.message}`).join("\n")}\nrun tranquil-controller --help for every option`,
      options,
    );
    this.name = "ConfigError";
    this.problems = problems;
  }
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

interface Given {
  readonly value: string | number;
  /** `--api-port`, `TRANQUIL_API_PORT` or `the default`. */
  readonly origin: string;
}

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

function optionOf(error: ErrorObject): OptionName {
  return error.instancePath.replace(/^\//, "").split("/")[0] as OptionName;
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

/** node:util's parseArgs messages, in this program's words where they are about a mistyped flag. */
function describeArgsError(err: unknown): string {
  const { code, message } = err as { code?: string; message?: string };
  const text = message ?? String(err);
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const flag = /'([^']+)'/.exec(text)?.[1] ?? text;
    return `unknown flag ${flag}`;
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    const arg = /'([^']+)'/.exec(text)?.[1] ?? text;
    return `unexpected argument ${JSON.stringify(arg)}: every option is a flag with a value (--flag value)`;
  }
  return text.split("\n")[0] ?? text;
}

function convert(spec: OptionSpec, text: string): string | number {
  return spec.type === "integer" && /^-?[0-9]+$/.test(text.trim()) ? Number(text.trim()) : text;
}

function specOf(name: OptionName): OptionSpec {
  return OPTIONS.find((o) => o.name === name) as OptionSpec;
}

function problem(name: OptionName, message: string, given?: Given): ConfigProblem {
  const where =
    given !== undefined && given.origin !== "the default"
      ? ` (got ${JSON.stringify(String(given.value))} from ${given.origin})`
      : "";
  return { option: optionLabel(specOf(name).source), message: `${message}${where}` };
}

function schemaProblem(error: ErrorObject, given: Map<OptionName, Given>): ConfigProblem {
  const name = optionOf(error);
  const params = error.params as Record<string, unknown>;
  const g = given.get(name);
  switch (error.keyword) {
    case "pattern":
      if (params["pattern"] === DURATION_PATTERN)
        return problem(name, 'not a duration; write a whole number and a unit, e.g. "15s", "500ms", "1m"', g);
      if (params["pattern"] === DNS_LABEL_PATTERN)
        return problem(
          name,
          "not a namespace name (a DNS-1123 label: lower-case letters, digits and '-')",
          g,
        );
      if (name === "redisUrl")
        return problem(name, "not a Redis URL; write redis://host:port or rediss://host:port", g);
      return problem(name, "not a valid name (lower-case letters, digits, '-' and '.')", g);
    case "type":
      return problem(
        name,
        params["type"] === "integer" ? "must be a whole number" : `must be ${String(params["type"])}`,
        g,
      );
    case "minimum":
    case "maximum":
      return problem(name, `must be ${String(params["comparison"])} ${String(params["limit"])}`, g);
    case "minLength":
      return problem(name, "must not be empty", g);
    case "maxLength":
      return problem(name, `must be at most ${String(params["limit"])} characters`, g);
    case "const":
    case "anyOf":
      return problem(name, `must be one of ${LOG_LEVELS.join(", ")}`, g);
    default:
      return problem(name, error.message ?? "is invalid", g);
  }
}

function unique(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter(
    (p) => !seen.has(`${p.option}\n${p.message}`) && seen.add(`${p.option}\n${p.message}`),
  );
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
  } else if (!URL.canParse(input.redisUrl) || new URL(input.redisUrl).hostname === "") {
    problems.push(
      problem(
        "redisUrl",
        "not a Redis URL; write redis://host:port or rediss://host:port",
        given.get("redisUrl"),
      ),
    );
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
  const token = apiToken(input, given, problems);
  if (problems.length > 0 || token === undefined) return undefined;
  return {
    kube: {
      ...(input.kubeconfig !== undefined ? { kubeconfig: input.kubeconfig } : {}),
      ...(input.context !== undefined ? { context: input.context } : {}),
    },
    namespaces,
    controllerNamespace:
      input.controllerNamespace ?? serviceAccountNamespace(inputs) ?? DEFAULT_CONTROLLER_NAMESPACE,
    redisUrl: input.redisUrl ?? "",
    api: { address: input.apiAddress ?? "0.0.0.0", port: input.apiPort ?? 7070, token },
    lease: { name: input.leaseName ?? "tranquil-controller", ...timings },
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

function apiToken(
  input: ControllerInput,
  given: Map<OptionName, Given>,
  problems: ConfigProblem[],
): ApiTokenSource | undefined {
  const file = input.apiTokenFile;
  const value = input.apiToken;
  if (file !== undefined && value !== undefined) {
    problems.push({
      option: `${optionLabel(specOf("apiTokenFile").source)}, ${specOf("apiToken").source.env}`,
      message: `give the API token one way, not both (a file from ${given.get("apiTokenFile")?.origin ?? "?"}, and TRANQUIL_API_TOKEN)`,
    });
    return undefined;
  }
  if (file !== undefined) return { kind: "file", path: file };
  if (value !== undefined) return { kind: "env", variable: "TRANQUIL_API_TOKEN", value };
  problems.push({
    option: `${optionLabel(specOf("apiTokenFile").source)}, ${specOf("apiToken").source.env}`,
    message:
      "the HTTP API needs a bearer token: name a file that holds it (e.g. a mounted Secret), or set TRANQUIL_API_TOKEN",
  });
  return undefined;
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

/** Reads the API token from its source: a file's content (trimmed; empty is an error) or the variable. */
export function readApiToken(
  source: ApiTokenSource,
  readFile: (path: string) => string = (p) => readFileSync(p, "utf8"),
): string {
  if (source.kind === "env") return source.value;
  let text: string;
  try {
    text = readFile(source.path);
  } catch (err) {
    throw new ConfigError(
      [
        {
          option: optionLabel(specOf("apiTokenFile").source),
          message: `cannot read ${source.path}: ${err instanceof Error ? err.message : String(err)}`,
        },
      ],
      { cause: err },
    );
  }
  const token = text.trim();
  if (token === "") {
    throw new ConfigError([
      {
        option: optionLabel(specOf("apiTokenFile").source),
        message: `${source.path} is empty; it must hold the API's bearer token`,
      },
    ]);
  }
  return token;
}
