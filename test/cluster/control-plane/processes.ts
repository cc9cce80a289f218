/**
 * The child processes of a local control plane: started with their output in a log file,
 * stopped by pid (SIGTERM, then SIGKILL after a grace period), and waited for.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { open } from "node:fs/promises";
import { createServer } from "node:net";

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A running child process. */
export interface RunningProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves with the exit code (or signal) once it has exited. */
  readonly exited: Promise<string>;
  /** True until it has exited. */
  running(): boolean;
  /** SIGTERM, SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Where a process runs: its environment (default this process's) and working folder. */
export interface ProcessOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** Starts `file` with `args`, appending its stdout and stderr to `logPath`. */
export async function startProcess(
  name: string,
  file: string,
  args: readonly string[],
  logPath: string,
  options: ProcessOptions = {},
): Promise<RunningProcess> {
  const log = await open(logPath, "a");
  let child: ChildProcess;
  try {
    child = spawn(file, args, { stdio: ["ignore", log.fd, log.fd], env: options.env, cwd: options.cwd });
  } finally {
    // The child holds its own copy of the descriptor.
    await log.close();
  }
  let done = false;
  const exited = new Promise<string>((resolve) => {
    child.once("exit", (code, signal) => {
      done = true;
      resolve(code !== null ? `exit ${code}` : `signal ${signal ?? "?"}`);
    });
    child.once("error", (err) => {
      done = true;
      resolve(`failed to start: ${err.message}`);
    });
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name}: could not start ${file}: ${await exited}`);
  return {
    name,
    pid,
    exited,
    running: () => !done,
    stop: async (graceMs = 10_000) => {
      if (done) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
