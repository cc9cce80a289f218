/**
 * Waiting for a local control-plane process to be ready: polling its health endpoint, failing
 * early with the tail of its log when it exits first.
 */
import { readFile } from "node:fs/promises";
import { request } from "node:https";
import type { RunningProcess } from "./processes.js";

/** Polls `ready` until it holds; fails early, with the log's tail, if the process exits. */
export async function waitUntil(
  name: string,
  running: readonly RunningProcess[],
  timeoutMs: number,
  logPath: string,
  ready: () => Promise<boolean>,
): Promise<void> {
  const proc = running.find((p) => p.name === name);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc !== undefined && !proc.running()) {
      throw new Error(`${name} exited (${await proc.exited}) before it was ready:\n${await tail(logPath)}`);
    }
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} was not ready within ${timeoutMs} ms:\n${await tail(logPath)}`);
}

/** The last 15 lines of a log file. */
export async function tail(path: string): Promise<string> {
  const text = await readFile(path, "utf8").catch(() => "");
  return text.split("\n").slice(-15).join("\n");
}

/** Whether a plain GET of `url` answers 2xx within 2 s. */
export async function httpOk(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

/** GET over TLS without verifying the certificate: the CA is only known once the server wrote it. */
export function httpsOk(url: string, token?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        rejectUnauthorized: false,
        timeout: 2_000,
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.once("error", () => resolve(false));
    req.once("timeout", () => req.destroy());
    req.end();
  });
}
