import { Cluster, Redis, type ClusterOptions, type RedisOptions } from "ioredis";
import { TraceStoreError } from "./errors.js";
import { SCRIPTS } from "./redis-scripts/index.js";
import { type ClusterSource, isClusterSource, redisSourceFromUrl } from "./redis-url.js";

/**
 * Client options the store uses when it creates its own client. A write must resolve only once
 * Redis acknowledged it, and must never be replayed behind the caller's back:
 * - no offline queue: while Redis is down, calls reject at once instead of piling up;
 * - no automatic resend after a reconnect: the caller decides whether to retry (and is dirty);
 * - a command timeout, so a hung server (SIGSTOP, network partition) rejects too.
 */
export const STORE_REDIS_OPTIONS = {
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 0,
  commandTimeout: 2_000,
  connectTimeout: 2_000,
  retryStrategy: (times: number) => Math.min(50 * times, 1_000),
} as const satisfies RedisOptions;

/**
 * Cluster options the store uses for a Redis Cluster (ADR 0092), with `STORE_REDIS_OPTIONS` for
 * every node's connection. Redirections (MOVED, ASK, TRYAGAIN) are followed, since the node that
 * refused a command did not run it; a command whose connection closed is never resent
 * (`retryDelayOnFailover: 0`), since it may have run; a cluster that is down rejects at once.
 * Every command goes to the master of its slot. The slot map is refreshed every second, so a
 * promoted replica is found even when no command was redirected.
 */
export const STORE_CLUSTER_OPTIONS = {
  enableOfflineQueue: false,
  scaleReads: "master",
  maxRedirections: 8,
  retryDelayOnFailover: 0,
  retryDelayOnClusterDown: 0,
  retryDelayOnTryAgain: 100,
  slotsRefreshTimeout: 1_000,
  slotsRefreshInterval: 1_000,
  clusterRetryStrategy: (times: number) => Math.min(100 * times, 1_000),
} as const satisfies ClusterOptions;

/** The client a store talks to: one Redis (standalone or behind Sentinel), or a Redis Cluster. */
export type StoreClient = Redis | Cluster;

/**
 * Where the store gets its client: one the caller owns (a `Redis` or a `Cluster`), or options /
 * a URL (`redis-url.ts`) to make its own.
 */
export type RedisSource = StoreClient | RedisOptions | ClusterSource | string;

function openCluster(source: ClusterSource): Cluster {
  // The cluster reconnects its nodes itself (clusterRetryStrategy); a node keeps the rest.
  const { enableOfflineQueue, autoResendUnfulfilledCommands, maxRetriesPerRequest } = STORE_REDIS_OPTIONS;
  const { commandTimeout, connectTimeout } = STORE_REDIS_OPTIONS;
  const node = {
    enableOfflineQueue,
    autoResendUnfulfilledCommands,
    maxRetriesPerRequest,
    commandTimeout,
    connectTimeout,
  };
  return new Cluster(
    source.clusterNodes.map((n) => ({ host: n.host, port: n.port })),
    { ...STORE_CLUSTER_OPTIONS, redisOptions: { ...node, ...source.redisOptions } },
  );
}

/** Returns a client with the store's scripts defined, and whether the store owns it. */
export function openRedis(source: RedisSource): { client: StoreClient; owned: boolean } {
  let client: StoreClient;
  let owned = true;
  if (source instanceof Redis || source instanceof Cluster) {
    client = source;
    owned = false;
  } else if (isClusterSource(source)) {
    client = openCluster(source);
  } else if (typeof source === "string") {
    const parsed = redisSourceFromUrl(source);
    if (isClusterSource(parsed)) client = openCluster(parsed);
    else
      client =
        typeof parsed === "string"
          ? new Redis(parsed, { ...STORE_REDIS_OPTIONS })
          : new Redis({ ...STORE_REDIS_OPTIONS, ...parsed });
  } else {
    client = new Redis({ ...STORE_REDIS_OPTIONS, ...source });
  }
  // Errors surface on the commands; an unhandled 'error' event would crash the process.
  if (owned) client.on("error", () => undefined);
  for (const [name, lua] of Object.entries(SCRIPTS)) client.defineCommand(name, { lua });
  return { client, owned };
}

/**
 * Waits for a client to be ready, sharing one 'ready' listener among all waiting calls (an outage
 * can leave hundreds of calls waiting at once), each with its own time limit.
 */
export class ReadyGate {
  private pending: Promise<void> | undefined;

  constructor(private readonly client: StoreClient) {}

  /**
   * Resolves once the client can take commands; rejects after `waitMs` or once the client ended.
   * A Cluster also needs its masters' connections up: with no offline queue, a command sent to a
   * node still connecting is refused.
   */
  async wait(op: string, waitMs: number): Promise<void> {
    const client = this.client;
    if (client.status === "ready" && (!client.isCluster || mastersReady(client as Cluster))) return;
    if (client.status === "end")
      throw new TraceStoreError("unavailable", op, "the redis connection was closed");
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new TraceStoreError(
            "unavailable",
            op,
            `redis is not connected (${client.status}) after ${waitMs} ms`,
          ),
        );
      }, waitMs);
    });
    try {
      if (client.status !== "ready") {
        if (client.status === "wait") client.connect().catch(() => undefined); // a lazy client: errors surface below
        this.pending ??= new Promise<void>((resolve) => {
          client.once("ready", () => {
            this.pending = undefined;
            resolve();
          });
        });
        await Promise.race([this.pending, timeout]);
      }
      if (client.isCluster) await Promise.race([connectMasters(client as Cluster), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function mastersReady(cluster: Cluster): boolean {
  return cluster.nodes("master").every((n) => n.status === "ready");
}

/** One shared wait per node connecting, however many calls wait on it. */
const nodeWaits = new WeakMap<Redis, Promise<void>>();

/** Connects every master the cluster knows and resolves once each is ready or ended. */
async function connectMasters(cluster: Cluster): Promise<void> {
  await Promise.all(
    cluster.nodes("master").map((node) => {
      if (node.status === "ready" || node.status === "end") return Promise.resolve();
      let settled = nodeWaits.get(node);
      if (settled === undefined) {
        settled = new Promise<void>((resolve) => {
          const done = (): void => {
            node.off("ready", done);
            node.off("end", done);
            nodeWaits.delete(node);
            resolve();
          };
          node.once("ready", done);
          node.once("end", done);
        });
        nodeWaits.set(node, settled);
      }
      if (node.status === "wait") node.connect().catch(() => undefined);
      return settled;
    }),
  );
}
