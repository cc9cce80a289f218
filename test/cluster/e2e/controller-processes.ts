/**
 * `tranquil-controller` replicas as real processes on the local cluster: each is
 * `controller/kubernetes/main.ts` under Node with tsx's loader (so the pid and the signals are
 * the controller's own), with the controller's ServiceAccount kubeconfig, the Redis trace
 * store, a token file and short Lease timings. Its JSON log tells whether it leads.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";

const MAIN = new URL("../../../controller/kubernetes/main.ts", import.meta.url).pathname;

/** The Lease timings of the processes (the standby takes over within the lease duration). */
export const PROCESS_LEASE = { durationMs: 4_000, renewDeadlineMs: 3_000, retryPeriodMs: 1_000 } as const;

/** One running controller process. */
export interface ControllerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything it wrote (stdout and stderr). */
  output(): string;
  /** Whether its log says it leads now (it gained the Lease and has not lost it since). */
  leads(): boolean;
  /** `kill -9`. */
  kill9(): void;
  /** Resolves with the exit code (null after a signal). */
  readonly exited: Promise<number | null>;
}

/** Where the processes' kubeconfig and API token live. */
export interface ProcessFiles {
  readonly kubeconfig: string;
  readonly tokenFile: string;
}

/** Writes the controller's kubeconfig and an API token into `dir`. */
export async function writeProcessFiles(dir: string, controllerKc: KubeConfig): Promise<ProcessFiles> {
  const kubeconfig = join(dir, "kubeconfig");
  const tokenFile = join(dir, "token");
  await writeFile(kubeconfig, controllerKc.exportConfig());
  await writeFile(tokenFile, "a-token-of-the-process-e2e-tests\n");
  return { kubeconfig, tokenFile };
}

/** Starts one controller process serving `namespace`; resolves once it serves its API. */
export async function startControllerProcess(
  name: string,
  files: ProcessFiles,
  options: { redisUrl: string; namespace: string; timeoutMs?: number },
): Promise<ControllerProcess> {
  const seconds = (ms: number): string => `${ms / 1000}s`;
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      MAIN,
      ...["--kubeconfig", files.kubeconfig, "--redis-url", options.redisUrl],
      ...["--namespaces", options.namespace, "--api-address", "127.0.0.1", "--api-port", "0"],
      ...["--api-token-file", files.tokenFile],
      ...["--lease-duration", seconds(PROCESS_LEASE.durationMs)],
      ...["--renew-deadline", seconds(PROCESS_LEASE.renewDeadlineMs)],
      ...["--retry-period", seconds(PROCESS_LEASE.retryPeriodMs)],
    ],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env } },
  );
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (!output.includes("tranquil-controller serving")) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`e2e: controller process ${name} did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    name,
    child,
    output: () => output,
    leads: () => {
      const started = output.lastIndexOf("leading: reconciling upgrades");
      return started >= 0 && output.indexOf("not leading any more", started) < 0 && alive();
    },
    kill9: () => child.kill("SIGKILL"),
    exited,
  };
}
