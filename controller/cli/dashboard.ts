/**
 * `tranquil dashboard [name]`: the URL of the controller's dashboard (ADR 0091), checked
 * against the controller first, printed, and opened in the browser with `--open`. The token
 * is never put in the URL: the page asks for it once and keeps it in that tab.
 */
import { spawn } from "node:child_process";
import { Option, type Command } from "commander";
import { CliError } from "./cli-error.js";
import { ExitCode } from "./exit-codes.js";
import type { CliIo } from "./io.js";

/** Opens a URL in the user's browser; tests replace it. */
export type OpenUrl = (url: string) => Promise<void>;

/** What `dashboard` needs besides the CLI's io. */
export interface DashboardDeps {
  /** The controller's base URL (from --server, TRANQUIL_URL or the default). */
  readonly server: (cmd: Command) => string;
  /** Set when --context or --kubeconfig is given (no controller API is involved then). */
  readonly kubeContext: (cmd: Command) => boolean;
  readonly namespace: (cmd: Command) => string | undefined;
  readonly open?: OpenUrl;
}

/** The dashboard's URL on `server`, opening upgrade `name` of `namespace` (default `default`) when given. */
export function dashboardUrl(server: string, name?: string, namespace?: string): string {
  const base = `${server.replace(/\/+$/, "")}/dashboard/`;
  if (name === undefined) return base;
  return `${base}#/${encodeURIComponent(namespace ?? "default")}/${encodeURIComponent(name)}`;
}

/** The platform's opener (xdg-open, open, start), detached; rejects when it cannot start. */
export const openInBrowser: OpenUrl = (url) =>
  new Promise((resolve, reject) => {
    const [cmd, args] =
      process.platform === "darwin"
        ? ["open", [url]]
        : process.platform === "win32"
          ? ["cmd", ["/c", "start", "", url]]
          : ["xdg-open", [url]];
    const child = spawn(cmd, args, { stdio: "ignore", detached: true });
    child.once("error", (err) => reject(new Error(`${cmd} could not start: ${err.message}`)));
    child.once("spawn", () => {
      child.unref();
      resolve();
    });
  });

/** Adds `dashboard` to `program`. */
export function addDashboardCommand(program: Command, io: CliIo, deps: DashboardDeps): void {
  program
    .command("dashboard")
    .description("print the URL of the controller's live dashboard (and open it with --open)")
    .argument("[name]", "an upgrade to open")
    .addOption(new Option("--open", "open it in the browser"))
    .action(async (name: string | undefined, flags: { open?: boolean }, cmd: Command) => {
      if (deps.kubeContext(cmd)) {
        throw new CliError(
          "the dashboard is served by the controller's API, not by the cluster: forward its port (`kubectl port-forward -n <namespace> deploy/<controller> 7070`) and run `tranquil dashboard --server http://127.0.0.1:7070`",
          ExitCode.BadInput,
        );
      }
      const server = deps.server(cmd);
      const url = dashboardUrl(server, name, deps.namespace(cmd));
      await checkServed(io, dashboardUrl(server));
      io.stdout.write(`dashboard: ${url}\n`);
      io.stdout.write(
        "its buttons ask for the API token (TRANQUIL_TOKEN) once; it stays in that browser tab\n",
      );
      if (flags.open === true) {
        await (deps.open ?? openInBrowser)(url).catch((err: unknown) => {
          throw new CliError(
            `could not open a browser (${err instanceof Error ? err.message : String(err)}); open the URL above yourself`,
            ExitCode.Unavailable,
          );
        });
      }
    });
}

/** Fails with what to do unless the controller serves the page at `url`. */
async function checkServed(io: CliIo, url: string): Promise<void> {
  let res: Response;
  try {
    res = await io.fetch(url, {
      signal: AbortSignal.any([AbortSignal.timeout(15_000), ...(io.signal ? [io.signal] : [])]),
    });
  } catch (err) {
    throw new CliError(
      `cannot reach the controller at ${url} (${err instanceof Error ? err.message : String(err)}): is it running? Set --server or TRANQUIL_URL`,
      ExitCode.Unavailable,
    );
  }
  const text = await res.text();
  if (res.ok && text.includes("<title>Tranquil")) return;
  const said = errorOf(text) ?? text.trim();
  throw new CliError(
    `the controller at ${url} does not serve the dashboard (${res.status}): ${said.slice(0, 500)}`,
    res.status >= 500 ? ExitCode.Unavailable : ExitCode.BadInput,
  );
}

/** The `error` of a JSON error body, if `text` is one. */
function errorOf(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    return typeof body.error === "string" ? body.error : undefined;
  } catch {
    return undefined;
  }
}
