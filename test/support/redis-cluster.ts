import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import calculateSlot from "cluster-key-slot";
import { freePort } from "./redis-server.js";
import { HOST, RedisProcesses, until, withClient } from "./redis-processes.js";

/** Three masters and three replicas of a Redis Cluster on loopback, for tests (Debian's redis-server). */
export interface TestCluster {
  /** `redis-cluster://127.0.0.1:<p1>,…`: the store URL, naming every node as a seed. */
  readonly url: string;
  /** The ports of every node started. */
  readonly ports: readonly number[];
  /** The port of the master currently serving `key`'s hash slot. */
  masterOf(key: string): Promise<number>;
  /** SIGKILLs the master of `key`'s slot, as a crash would. Returns its port. */
  killMasterOf(key: string): Promise<number>;
  /** Resolves once `key`'s slot is served by a master other than `oldPort` and the cluster is ok again. */
  waitForFailover(key: string, oldPort: number, timeoutMs: number): Promise<number>;
  /** Stops every process (by pid) and removes the directory. */
  stop(): Promise<void>;
}

const run = promisify(execFile);

/** `CLUSTER SLOTS` as [first, last, master port] ranges. */
async function slotOwners(port: number): Promise<[number, number, number][]> {
  const reply = await withClient(port, (c) => c.call("CLUSTER", "SLOTS") as Promise<unknown[][]>);
  return reply.map((r) => [Number(r[0]), Number(r[1]), Number((r[2] as unknown[])[1])]);
}

/**
 * Starts six nodes (`cluster-node-timeout` 1000, so a failover takes seconds), joins them with
 * `redis-cli --cluster create … --cluster-replicas 1`, and waits until every node reports
 * `cluster_state:ok` and every master has its replica online.
 */
export async function startTestCluster(): Promise<TestCluster> {
  const procs = await RedisProcesses.create("cluster");
  const dir = procs.dir;
  const stop = (): Promise<void> => procs.stop();
  try {
    const ports: number[] = [];
    for (let i = 0; i < 6; i++) {
      const port = await freePort();
      // The bus port is set explicitly: port + 10000 may be taken or out of range.
      const bus = await freePort();
      procs.start(
        port,
        procs.serverArgs(port, [
          "--cluster-enabled",
          "yes",
          "--cluster-port",
          String(bus),
          "--cluster-config-file",
          join(dir, `nodes-${port}.conf`),
          "--cluster-node-timeout",
          "1000",
        ]),
      );
      ports.push(port);
    }
    for (const port of ports)
      await until(`node ${port} did not answer PING`, 10_000, () => withClient(port, (c) => c.ping()));
    await run(
      "redis-cli",
      [
        "--cluster",
        "create",
        ...ports.map((p) => `${HOST}:${p}`),
        "--cluster-replicas",
        "1",
        "--cluster-yes",
      ],
      { timeout: 30_000 },
    );
    const live = (): number[] => ports.filter((p) => procs.running(p));
    const allOk = async (): Promise<true | undefined> => {
      for (const port of live()) {
        const info = await withClient(port, (c) => c.call("CLUSTER", "INFO") as Promise<string>);
        if (!info.includes("cluster_state:ok")) return undefined;
      }
      return true;
    };
    await until("the cluster did not reach cluster_state:ok", 30_000, allOk);
    await until("every master did not see its replica online", 30_000, async () => {
      const masters = new Set((await slotOwners(ports[0] ?? 0)).map((r) => r[2]));
      for (const port of masters) {
        const info = await withClient(port, (c) => c.info("replication"));
        if (!/^slave0:.*state=online/m.test(info)) return undefined;
      }
      return masters.size === 3 ? true : undefined;
    });
    const masterOf = async (key: string): Promise<number> => {
      const slot = calculateSlot(key);
      for (const port of live()) {
        const owners = await slotOwners(port).catch(() => undefined);
        const owner = owners?.find(([first, last]) => slot >= first && slot <= last);
        if (owner !== undefined) return owner[2];
      }
      throw new Error(`no live node names the master of slot ${slot}`);
    };
    const cluster: TestCluster = {
      url: `redis-cluster://${ports.map((p) => `${HOST}:${p}`).join(",")}`,
      ports,
      masterOf,
      killMasterOf: async (key) => {
        const port = await masterOf(key);
        await procs.kill(port);
        return port;
      },
      waitForFailover: (key, oldPort, timeoutMs) =>
        until(`no replica took over the slot of ${key} from ${oldPort}`, timeoutMs, async () => {
          const port = await masterOf(key);
          if (port === oldPort) return undefined;
          const role = await withClient(port, async (c) => (await c.call("ROLE")) as unknown[]);
          if (role[0] !== "master") return undefined;
          return (await allOk()) === true ? port : undefined;
        }),
      stop,
    };
    return cluster;
  } catch (err) {
    await stop();
    throw err;
  }
}
