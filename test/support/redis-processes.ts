/**
 * Test support shared by the multi-process Redis setups (Sentinel, Cluster): a group of
 * Debian redis-server processes on loopback in one directory, stopped by pid even after some
 * were killed; a throwaway client to one of them; and a bounded wait.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";

/** The address every test Redis listens on. */
export const HOST = "127.0.0.1";

/** Polls `fn` every 100 ms until it gives a value (errors count as none); throws after `timeoutMs`. */
export async function until<T>(
  what: string,
  timeoutMs: number,
  fn: () => Promise<T | undefined>,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Runs `fn` with a fresh client to 127.0.0.1:`port` that never retries, then disconnects it. */
export async function withClient<T>(port: number, fn: (c: Redis) => Promise<T>): Promise<T> {
  const c = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_000,
    commandTimeout: 1_000,
    retryStrategy: () => null,
  });
  c.on("error", () => undefined);
  try {
    await c.connect();
    return await fn(c);
  } finally {
    c.disconnect();
  }
}

/** A process killed by a signal keeps exitCode null: it has ended once either is set. */
function ended(c: ChildProcess): boolean {
  return c.exitCode !== null || c.signalCode !== null;
}

/** redis-server processes by port, in one temporary directory. */
export class RedisProcesses {
  private readonly procs = new Map<number, ChildProcess>();

  private constructor(readonly dir: string) {}

  /** A new, empty group in a fresh temporary directory named after `purpose`. */
  static async create(purpose: string): Promise<RedisProcesses> {
    return new RedisProcesses(await mkdtemp(join(tmpdir(), `tranquil-${purpose}-`)));
  }

  /** The arguments of a loopback server on `port` without persistence, plus `extra`. */
  serverArgs(port: number, extra: readonly string[] = []): string[] {
    return [
      "--port",
      String(port),
      "--bind",
      HOST,
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      this.dir,
      "--dbfilename",
      `dump-${port}.rdb`,
      "--daemonize",
      "no",
      ...extra,
    ];
  }

  /** Starts `redis-server <args>` as the process of `port`. */
  start(port: number, args: readonly string[]): void {
    const child = spawn("redis-server", args, { stdio: "ignore" });
    child.once("error", () => undefined);
    this.procs.set(port, child);
  }

  /** Whether the process of `port` runs. */
  running(port: number): boolean {
    const child = this.procs.get(port);
    return child !== undefined && !ended(child);
  }

  /** SIGKILLs the process of `port`, as a crash would, and waits for its exit. */
  async kill(port: number): Promise<void> {
    const child = this.procs.get(port);
    if (child === undefined || ended(child)) throw new Error(`no running redis-server on ${port}`);
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  }

  /** Kills every process still running (by pid), waits for their exits, removes the directory. */
  async stop(): Promise<void> {
    const running = [...this.procs.values()].filter((c) => !ended(c));
    const exits = running.map((c) => new Promise((r) => c.once("exit", r)));
    for (const child of running) child.kill("SIGKILL");
    await Promise.all(exits);
    await rm(this.dir, { recursive: true, force: true });
  }
}
