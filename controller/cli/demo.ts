/**
 * `tranquil demo`: the `npm start` demo (controller/cli/start.ts). When start.ts exports
 * `runDemo(options)`, it runs in this process; otherwise `npm start` is spawned with the
 * same flags. start.ts runs its demo at import when it has no `runDemo`, so its source is
 * read first and it is imported only when it exports one.
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CliError } from "./cli-error.js";
import { ExitCode } from "./exit-codes.js";

/** The flags `tranquil demo` passes on (the demo defines their meaning). */
export interface DemoOptions {
  readonly quick?: boolean;
  readonly scenario?: string;
  readonly redis?: string;
  /** Whole seconds, as text (the demo checks it). */
  readonly duration?: string;
  readonly report?: string;
  /** The same flags as command-line arguments, plus any the CLI does not know. */
  readonly argv: readonly string[];
}

/** How the demo is found and started; replaced in tests. */
export interface DemoDeps {
  /** start.ts's path. */
  readonly startFile: string;
  /** Runs a command in the repository root with inherited stdio; resolves to its exit status. */
  readonly launch: (command: string, args: readonly string[]) => Promise<number>;
}

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The real start.ts and `npm`. */
export const realDemoDeps: DemoDeps = {
  startFile: fileURLToPath(new URL("./start.ts", import.meta.url)),
  launch: (command, args) =>
    new Promise((resolve, reject) => {
      const child = spawn(command, args, { cwd: REPO_ROOT, stdio: "inherit" });
      child.once("error", (err) => {
        reject(
          new CliError(
            `cannot start \`${command} ${args.join(" ")}\`: ${err.message}`,
            ExitCode.Unavailable,
            [],
            { cause: err },
          ),
        );
      });
      child.once("exit", (code, signal) => resolve(code ?? (signal === "SIGINT" ? ExitCode.Interrupted : 1)));
    }),
};

/** True when start.ts's source exports a `runDemo`. */
export function exportsRunDemo(source: string): boolean {
  return /export\s+(async\s+)?function\s+runDemo\b|export\s+(const|let)\s+runDemo\b|export\s*\{[^}]*\brunDemo\b/.test(
    source,
  );
}

/** Runs the demo; resolves to the exit status. */
export async function runDemoCommand(options: DemoOptions, deps: DemoDeps = realDemoDeps): Promise<number> {
  let source: string;
  try {
    source = await readFile(deps.startFile, "utf8");
  } catch (err) {
    throw new CliError(
      `cannot read the demo at ${deps.startFile}; run it from a full checkout`,
      ExitCode.Unavailable,
      [],
      { cause: err },
    );
  }
  if (!exportsRunDemo(source)) return deps.launch("npm", ["start", "--", ...options.argv]);
  const mod = (await import(pathToFileURL(deps.startFile).href)) as { runDemo?: unknown };
  if (typeof mod.runDemo !== "function") return deps.launch("npm", ["start", "--", ...options.argv]);
  const result: unknown = await (mod.runDemo as (o: DemoOptions) => unknown)(options);
  return typeof result === "number" ? result : ExitCode.Ok;
}
