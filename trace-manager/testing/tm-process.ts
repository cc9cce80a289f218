import { spawn } from "node:child_process";
import { join } from "node:path";

const repo = join(import.meta.dirname, "..", "..");

/**
 * Runs trace-manager/main.ts as a child process with `env` added to this one's. `output()` is
 * stdout and stderr so far; `kill` sends a signal; `exit` resolves with the exit code.
 */
export function runTraceManager(
  env: Record<string, string>,
  // `npx` itself dies of SIGTERM without waiting for its child, so run tsx's binary directly: tsx
  // relays the signal to the TraceManager and exits with its code.
  command: { file: string; args: string[]; cwd: string } = {
    file: join(repo, "node_modules", ".bin", "tsx"),
    args: ["trace-manager/main.ts"],
    cwd: repo,
  },
): {
  exit: Promise<number | null>;
  kill: (s: NodeJS.Signals) => void;
  output: () => string;
} {
  const child = spawn(command.file, command.args, {
    cwd: command.cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  return {
    exit: new Promise((resolve) => child.on("exit", (code) => resolve(code))),
    kill: (s) => child.kill(s),
    output: () => out,
  };
}
