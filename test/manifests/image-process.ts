/**
 * Runs an assembled image's program and health check as processes of this machine, in the
 * image's WORKDIR with the environment its Dockerfile sets (plus what a pod would set): `node`
 * is this test run's Node 24, and `--preserve-symlinks` keeps module resolution inside the
 * image's own (linked) node_modules, so a package npm would not install there is not found.
 * Every process is stopped by its pid.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { AssembledImage } from "./image-assembly.js";

/** A started program, its output collected. */
export interface ImageProcess {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves to the exit code (null when a signal ended it). */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves to the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

function run(image: AssembledImage, words: readonly string[], env: Record<string, string>): ImageProcess {
  const [command, ...args] = words;
  if (command === undefined) throw new Error("an empty command");
  const child = spawn(command === "node" ? process.execPath : command, args, {
    cwd: image.workdirPath,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env["PATH"] ?? "/usr/bin:/bin",
      NODE_OPTIONS: "--preserve-symlinks",
      ...image.env,
      ...env,
    },
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
  const stop = async (graceMs = 10_000): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    if (child.pid !== undefined) process.kill(child.pid, "SIGTERM");
    const timer = setTimeout(() => {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGKILL");
    }, graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };
  return { child, output: () => output, exited, stop };
}

/** Starts the image's ENTRYPOINT and CMD (or another command of the image, as a manifest's `command` would). */
export function startImageProgram(
  image: AssembledImage,
  env: Record<string, string>,
  command: readonly string[] = image.program,
): ImageProcess {
  return run(image, command, env);
}

/** Runs the image's HEALTHCHECK command once with this environment; resolves to its exit code and output. */
export async function runHealthCheck(
  image: AssembledImage,
  env: Record<string, string>,
  timeoutMs = 5000,
): Promise<{ code: number | null; output: string }> {
  const check = run(image, image.healthCheck, env);
  const timer = setTimeout(() => void check.stop(0), timeoutMs);
  try {
    const code = await check.exited;
    return { code, output: check.output() };
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `probe` until it yields true or `timeoutMs` passes; resolves to whether it did. */
export async function until(
  probe: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 200,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
