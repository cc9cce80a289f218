/**
 * Problems with the controller's flags and environment, each naming the flag and its variable,
 * and the value and where it came from.
 */
import type { ErrorObject } from "ajv";
import { DNS_LABEL_PATTERN, DURATION_PATTERN } from "../../upgrade-spec/schema.js";
import { LOG_LEVELS, OPTIONS, optionLabel, type OptionName, type OptionSpec } from "./config-schema.js";
import { REDIS_URL_FORMS } from "../../../trace-manager/store/redis-url.js";

/** One problem with the flags or environment. */
export interface ConfigProblem {
  /** `--api-port (TRANQUIL_API_PORT)`. */
  readonly option: string;
  readonly message: string;
}

/** Thrown when the flags, the environment or the kubeconfig are refused; `problems` lists every one found. */
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

/** A value as given, and where it came from. */
export interface Given {
  readonly value: string | number;
  /** `--api-port`, `TRANQUIL_API_PORT` or `the default`. */
  readonly origin: string;
}

/** The option an ajv error is about. */
export function optionOf(error: ErrorObject): OptionName {
  return error.instancePath.replace(/^\//, "").split("/")[0] as OptionName;
}

/** The option's spec by name. */
export function specOf(name: OptionName): OptionSpec {
  return OPTIONS.find((o) => o.name === name) as OptionSpec;
}

/** A problem with option `name`, quoting the value and its origin unless it is the default. */
export function problem(name: OptionName, message: string, given?: Given): ConfigProblem {
  const where =
    given !== undefined && given.origin !== "the default"
      ? ` (got ${JSON.stringify(String(given.value))} from ${given.origin})`
      : "";
  return { option: optionLabel(specOf(name).source), message: `${message}${where}` };
}

/** An ajv error in the words of the option it is about. */
export function schemaProblem(error: ErrorObject, given: Map<OptionName, Given>): ConfigProblem {
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
      if (name === "redisUrl") return problem(name, `not a Redis URL; write ${REDIS_URL_FORMS}`, g);
      if (name === "prometheusAddress")
        return problem(name, "not an http(s) URL; write e.g. http://prometheus.istio-system:9090", g);
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

/** node:util's parseArgs messages, in this program's words where they are about a mistyped flag. */
export function describeArgsError(err: unknown): string {
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

/** The problems without repeats. */
export function unique(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter(
    (p) => !seen.has(`${p.option}\n${p.message}`) && seen.add(`${p.option}\n${p.message}`),
  );
}
