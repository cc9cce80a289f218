/**
 * The HTTP API's bearer token: from a file (a mounted Secret, re-readable) or from
 * `TRANQUIL_API_TOKEN`, never from a flag (it would show in the process list).
 */
import { readFileSync } from "node:fs";
import { optionLabel, type ControllerInput, type OptionName } from "./config-schema.js";
import { ConfigError, specOf, type ConfigProblem, type Given } from "./config-problems.js";

/** Where the API's bearer token comes from. */
export type ApiTokenSource =
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "env"; readonly variable: "TRANQUIL_API_TOKEN"; readonly value: string };

/** The token's source from the parsed options, or a problem when there is none or two. */
export function apiTokenSource(
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
