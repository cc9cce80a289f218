import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort } from "./redis-server.js";
import { HOST, RedisProcesses, until, withClient } from "./redis-processes.js";

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

/**
 * Starts the group and waits until the replica is in sync and every sentinel knows the master.
 * Failure detection is fast (`down-after-milliseconds` 1000) so a test sees a failover in seconds.
 */
export async function startSentinelGroup(): Promise<TestSentinelGroup> {
  const name = "tranquil";
  const procs = await RedisProcesses.create("sentinel");
  const dir = procs.dir;
  const stop = (): Promise<void> => procs.stop();
  try {
    const master = await freePort();
    const replica = await freePort();
    procs.start(master, procs.serverArgs(master));
    procs.start(replica, procs.serverArgs(replica, ["--replicaof", HOST, String(master)]));
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
      procs.start(port, [conf, "--sentinel"]);
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
        await procs.kill(port);
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
