import type { RedisOptions } from "ioredis";

/** The URL schemes the trace store accepts. */
export const REDIS_URL_SCHEMES = [
  "redis://",
  "rediss://",
  "redis-sentinel://",
  "rediss-sentinel://",
  "redis-cluster://",
  "rediss-cluster://",
] as const;

/** Whether `url` starts with one of `REDIS_URL_SCHEMES`. */
export function isRedisUrl(url: string): boolean {
  return REDIS_URL_SCHEMES.some((s) => url.startsWith(s));
}

/** The store URL forms, as messages name them. */
export const REDIS_URL_FORMS =
  "redis://host:port, rediss://host:port, redis-sentinel://host:26379[,host:26379…]/<master name> or redis-cluster://host:6379[,host:6379…]";

/**
 * What is wrong with a store URL, or undefined when it can be used: a standalone URL needs a
 * host, a Sentinel URL its sentinels and master name, a Cluster URL its nodes.
 */
export function redisUrlProblem(url: string): string | undefined {
  if (!isRedisUrl(url)) return `not a Redis URL; write ${REDIS_URL_FORMS}`;
  if (url.startsWith("redis://") || url.startsWith("rediss://"))
    return URL.canParse(url) && new URL(url).hostname !== ""
      ? undefined
      : `not a Redis URL; write ${REDIS_URL_FORMS}`;
  try {
    redisSourceFromUrl(url);
    return undefined;
  } catch (err) {
    if (err instanceof RedisUrlError) return err.message;
    throw err;
  }
}

/** Thrown for a store URL that cannot be used; the message says what is wrong and what to write. */
export class RedisUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RedisUrlError";
  }
}

const EXAMPLE = "redis-sentinel://[:password@]host:26379[,host:26379…]/<master name>[/<db>]";
const CLUSTER_EXAMPLE = "redis-cluster://[[user]:password@]host:6379[,host:6379…]";

function hostPort(
  raw: string,
  what = "sentinel",
  defaultPort = 26379,
  example = EXAMPLE,
): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(raw);
  const port = Number(m?.[2] ?? defaultPort);
  if (m?.[1] === undefined || port < 1 || port > 65535)
    throw new RedisUrlError(`${what} address ${JSON.stringify(raw)} is not host:port; write ${example}`);
  return { host: m[1].replace(/^\[|\]$/g, ""), port };
}

/** What the store needs to open a Redis Cluster: the seed nodes and the options of each node's connection. */
export interface ClusterSource {
  /** Any reachable nodes; the client learns the others from them. */
  readonly clusterNodes: readonly { readonly host: string; readonly port: number }[];
  /** Credentials and TLS for every node. */
  readonly redisOptions: Pick<RedisOptions, "username" | "password" | "tls">;
}

/** Whether a parsed store source is a Redis Cluster. */
export function isClusterSource(source: unknown): source is ClusterSource {
  return typeof source === "object" && source !== null && "clusterNodes" in source;
}

/**
 * Reads `redis-cluster://[[user]:password@]host:port[,host:port…]` (`rediss-cluster` for TLS to
 * every node). The nodes are seeds: the client learns the rest of the cluster from them.
 * @throws RedisUrlError naming what is wrong (never showing the password).
 */
function clusterSourceFromUrl(url: string): ClusterSource {
  const m = /^(rediss?)-cluster:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?@]+)\/?$/.exec(url);
  if (m === null)
    throw new RedisUrlError(
      `not a Redis Cluster URL (no path, db or parameters are read); write ${CLUSTER_EXAMPLE}`,
    );
  const [, scheme, user, password, hosts = ""] = m;
  return {
    clusterNodes: hosts.split(",").map((h) => hostPort(h, "cluster node", 6379, CLUSTER_EXAMPLE)),
    redisOptions: {
      ...(user !== undefined && user !== "" ? { username: decodeURIComponent(user) } : {}),
      ...(password !== undefined ? { password: decodeURIComponent(password) } : {}),
      ...(scheme === "rediss" ? { tls: {} } : {}),
    },
  };
}

/**
 * What ioredis needs for a store URL. `redis://` and `rediss://` are ioredis's own and pass
 * through. ioredis has no URL for Sentinel, so the store defines one:
 * `redis-sentinel://[[user]:password@]host:port[,host:port…]/<master name>[/<db>]` (`rediss-sentinel`
 * for TLS to the master and the sentinels). The password is the master's; `?sentinelPassword=`
 * sets the sentinels' own. `redis-cluster://` names the seed nodes of a Redis Cluster
 * (`ClusterSource`).
 * @throws RedisUrlError naming what is wrong.
 */
export function redisSourceFromUrl(url: string): string | RedisOptions | ClusterSource {
  if (url.startsWith("redis://") || url.startsWith("rediss://")) return url;
  if (url.startsWith("redis-cluster://") || url.startsWith("rediss-cluster://"))
    return clusterSourceFromUrl(url);
  const m =
    /^(rediss?)-sentinel:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?]+)\/([^/?]+)(?:\/(\d+))?\/?(?:\?(.*))?$/.exec(
      url,
    );
  if (m === null) throw new RedisUrlError(`not a Redis store URL; write redis://host:port or ${EXAMPLE}`);
  const [, scheme, user, password, hosts = "", name = "", db, query] = m;
  const params = new URLSearchParams(query ?? "");
  const tls = scheme === "rediss";
  const options: RedisOptions = {
    sentinels: hosts.split(",").map((h) => hostPort(h)),
    name: decodeURIComponent(name),
    ...(user !== undefined && user !== "" ? { username: decodeURIComponent(user) } : {}),
    ...(password !== undefined ? { password: decodeURIComponent(password) } : {}),
    ...(db !== undefined ? { db: Number(db) } : {}),
    ...(params.get("sentinelPassword") !== null
      ? { sentinelPassword: params.get("sentinelPassword") ?? "" }
      : {}),
    ...(tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
  };
  for (const key of params.keys())
    if (key !== "sentinelPassword")
      throw new RedisUrlError(
        `unknown parameter ${JSON.stringify(key)} in the store URL; only sentinelPassword is read`,
      );
  return options;
}
