import type { RedisOptions } from "ioredis";

/** The URL schemes the trace store accepts. */
export const REDIS_URL_SCHEMES = [
  "redis://",
  "rediss://",
  "redis-sentinel://",
  "rediss-sentinel://",
] as const;

/** Whether `url` starts with one of `REDIS_URL_SCHEMES`. */
export function isRedisUrl(url: string): boolean {
  return REDIS_URL_SCHEMES.some((s) => url.startsWith(s));
}

/** The store URL forms, as messages name them. */
export const REDIS_URL_FORMS =
  "redis://host:port, rediss://host:port or redis-sentinel://host:26379[,host:26379…]/<master name>";

/**
 * What is wrong with a store URL, or undefined when it can be used: a standalone URL needs a
 * host, a Sentinel URL its sentinels and master name.
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

function hostPort(raw: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(raw);
  const port = Number(m?.[2] ?? 26379);
  if (m?.[1] === undefined || port < 1 || port > 65535)
    throw new RedisUrlError(`sentinel address ${JSON.stringify(raw)} is not host:port; write ${EXAMPLE}`);
  return { host: m[1].replace(/^\[|\]$/g, ""), port };
}

/**
 * What ioredis needs for a store URL. `redis://` and `rediss://` are ioredis's own and pass
 * through. ioredis has no URL for Sentinel, so the store defines one:
 * `redis-sentinel://[[user]:password@]host:port[,host:port…]/<master name>[/<db>]` (`rediss-sentinel`
 * for TLS to the master and the sentinels). The password is the master's; `?sentinelPassword=`
 * sets the sentinels' own.
 * @throws RedisUrlError naming what is wrong.
 */
export function redisSourceFromUrl(url: string): string | RedisOptions {
  if (url.startsWith("redis://") || url.startsWith("rediss://")) return url;
  const m =
    /^(rediss?)-sentinel:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?]+)\/([^/?]+)(?:\/(\d+))?\/?(?:\?(.*))?$/.exec(
      url,
    );
  if (m === null) throw new RedisUrlError(`not a Redis store URL; write redis://host:port or ${EXAMPLE}`);
  const [, scheme, user, password, hosts = "", name = "", db, query] = m;
  const params = new URLSearchParams(query ?? "");
  const tls = scheme === "rediss";
  const options: RedisOptions = {
    sentinels: hosts.split(",").map(hostPort),
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
