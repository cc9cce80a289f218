import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { freePort } from "./redis-server.js";

/** One master, one replica and three sentinels on loopback, for tests (Debian's redis-server). */
export interface TestSentinelGroup {
  /** The master group name the sentinels monitor. */
  readonly name: string;
  /** `redis-sentinel://127.0.0.1:<s1>,…/<name>`: the store URL. */
  readonly url: string;
  /** The port the sentinels currently name as master. */
  masterPort(): Promise<number>;
  /** SIGKILLs the current master, as a crash would. Returns its port. */
  killMaster(): Promise<number>;
  /** Resolves once the sentinels name a master other than `oldPort`. */
  waitForNewMaster(oldPort: number, timeoutMs: number): Promise<number>;
  /** Resolves once the master reports `replicas` replicas online. */
  waitForReplicas(replicas: number, timeoutMs: number): Promise<void>;
  /** Stops every process (by pid) and removes the directory. */
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";

async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

async function withClient<T>(port: number, fn: (c: Redis) => Promise<T>): Promise<T> {
  const c = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
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

/**
 * Starts the group and waits until the replica is in sync and every sentinel knows the master.
 * Failure detection is fast (`down-after-milliseconds` 1000) so a test sees a failover in seconds.
 */
export async function startSentinelGroup(): Promise<TestSentinelGroup> {
  const name = "tranquil";
  const dir = await mkdtemp(join(tmpdir(), "tranquil-sentinel-"));
  const procs = new Map<number, ChildProcess>();
  const spawnRedis = (port: number, args: string[]): void => {
    const child = spawn("redis-server", args, { stdio: "ignore" });
    child.once("error", () => undefined);
    procs.set(port, child);
  };
  const serverArgs = (port: number, extra: string[] = []): string[] => [
    "--port",
    String(port),
    "--bind",
    HOST,
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
    "--dbfilename",
    `dump-${port}.rdb`,
    "--daemonize",
    "no",
    ...extra,
  ];
  // A process killed by a signal keeps exitCode null: it has ended once either is set.
  const ended = (c: ChildProcess): boolean => c.exitCode !== null || c.signalCode !== null;
  const stop = async (): Promise<void> => {
    const running = [...procs.values()].filter((c) => !ended(c));
    const exits = running.map((c) => new Promise((r) => c.once("exit", r)));
    for (const child of running) child.kill("SIGKILL");
    await Promise.all(exits);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const master = await freePort();
    const replica = await freePort();
    spawnRedis(master, serverArgs(master));
    spawnRedis(replica, serverArgs(replica, ["--replicaof", HOST, String(master)]));
    const sentinels: number[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = join(dir, `sentinel-${port}.conf`);
      await writeFile(
        conf,
        [
          `port ${port}`,
          `bind ${HOST}`,
          `dir ${dir}`,
          `sentinel monitor ${name} ${HOST} ${master} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
          "",
        ].join("\n"),
      );
      spawnRedis(port, [conf, "--sentinel"]);
      sentinels.push(port);
    }
    const group: TestSentinelGroup = {
      name,
      url: `redis-sentinel://${sentinels.map((p) => `${HOST}:${p}`).join(",")}/${name}`,
      masterPort: () =>
        withClient(sentinels[0] ?? 0, async (c) => {
          const reply = (await c.call("SENTINEL", "get-master-addr-by-name", name)) as [string, string];
          return Number(reply[1]);
        }),
      killMaster: async () => {
        const port = await group.masterPort();
        const child = procs.get(port);
        if (child === undefined || ended(child)) throw new Error(`no running master on ${port}`);
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGKILL");
        await exited;
        return port;
      },
      waitForNewMaster: (oldPort, timeoutMs) =>
        until("the sentinels promoted no new master", timeoutMs, async () => {
          const port = await group.masterPort();
          if (port === oldPort) return undefined;
          const role = await withClient(port, async (c) => (await c.call("ROLE")) as unknown[]);
          return role[0] === "master" ? port : undefined;
        }),
      waitForReplicas: async (replicas, timeoutMs) => {
        const port = await group.masterPort();
        await until(`the master did not see ${replicas} replica(s) online`, timeoutMs, async () => {
          const info = await withClient(port, (c) => c.info("replication"));
          const online = info.split("\n").filter((l) => /^slave\d+:.*state=online/.test(l)).length;
          return online >= replicas ? true : undefined;
        });
      },
      stop,
    };
    // Every sentinel knows the master and its replica.
    for (const port of sentinels)
      await until(`sentinel ${port} did not find the replica`, 20_000, () =>
        withClient(port, async (c) => {
          const replicas = (await c.call("SENTINEL", "replicas", name)) as unknown[];
          return replicas.length >= 1 ? true : undefined;
        }),
      );
    await group.waitForReplicas(1, 20_000);
    return group;
  } catch (err) {
    await stop();
    throw err;
  }
}
