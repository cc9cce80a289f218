import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";

/** A redis-server started for one test file, on a free loopback port, with no persistence. */
export interface TestRedis {
  readonly host: string;
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Kills the server (SIGKILL), as a crash would; `start()` brings it back on the same port, empty. */
  kill(): Promise<void>;
  /** Starts the server again after `kill()`. */
  start(): Promise<void>;
  /** Sends SIGSTOP: the server keeps its port but answers nothing until `resume()`. */
  pause(): void;
  resume(): void;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

/** Asks the kernel for a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      if (addr === null || typeof addr === "string") {
        reject(new Error("could not read the listening port"));
        return;
      }
      srv.close(() => resolve(addr.port));
    });
  });
}

async function waitForPing(host: string, port: number, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const client = new Redis({
      host,
      port,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on("error", () => undefined);
    try {
      await client.connect();
      await client.ping();
      return;
    } catch (err) {
      if (Date.now() > until)
        throw new Error(`redis-server on ${host}:${port} did not answer PING`, { cause: err });
      await sleep(25);
    } finally {
      client.disconnect();
    }
  }
}

/** How a test server is configured beyond the defaults. */
export interface TestRedisOptions {
  /** More `redis-server` arguments, e.g. `["--maxmemory", "2mb", "--maxmemory-policy", "allkeys-lru"]`. */
  readonly args?: readonly string[];
}

/**
 * Starts a real `redis-server` (from PATH) for tests. Never touches a system Redis.
 * Call `stop()` in `afterAll`.
 */
export async function startTestRedis(options: TestRedisOptions = {}): Promise<TestRedis> {
  const host = "127.0.0.1";
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "tranquil-redis-"));
  let proc: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const child = spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        host,
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
        "--daemonize",
        "no",
        ...(options.args ?? []),
      ],
      { stdio: "ignore" },
    );
    child.once("error", () => undefined);
    proc = child;
    await waitForPing(host, port, 10_000);
  };

  const killProc = async (signal: NodeJS.Signals): Promise<void> => {
    const child = proc;
    proc = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill(signal);
    await exited;
  };

  await launch();
  return {
    host,
    port,
    url: `redis://${host}:${port}`,
    kill: () => killProc("SIGKILL"),
    start: launch,
    pause: () => proc?.kill("SIGSTOP"),
    resume: () => proc?.kill("SIGCONT"),
    stop: async () => {
      proc?.kill("SIGCONT");
      await killProc("SIGTERM");
      await rm(dir, { recursive: true, force: true });
    },
  };
}
