/**
 * `tranquil-controller --help`, written from the one schema of flags and environment.
 */
import { OPTIONS } from "./config-schema.js";

/** The usage text: every option with its flag, variable, default and meaning. */
export function controllerUsage(): string {
  const rows = OPTIONS.map((o) => {
    const name =
      o.source.flag !== undefined ? `${o.source.flag} <${o.type === "integer" ? "n" : "value"}>` : "";
    const fallback = o.defaultValue !== undefined ? ` (default ${String(o.defaultValue)})` : "";
    return { name, env: o.source.env, text: `${o.description}${fallback}` };
  });
  const nameWidth = Math.max(...rows.map((r) => r.name.length));
  const envWidth = Math.max(...rows.map((r) => r.env.length));
  return [
    "Usage: tranquil-controller [options]",
    "",
    "Runs Tranquil's controller in a Kubernetes cluster. Each option can also be given by its",
    "environment variable; a flag wins over its variable.",
    "",
    ...rows.map((r) => `  ${r.name.padEnd(nameWidth)}  ${r.env.padEnd(envWidth)}  ${r.text}`),
    "",
  ].join("\n");
}
