import { Redis, type RedisOptions } from "ioredis";
import { TraceStoreError } from "./errors.js";
import { SCRIPTS } from "./redis-scripts/index.js";
import { redisSourceFromUrl } from "./redis-url.js";

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

/** Where the store gets its client: one the caller owns, or options / a URL (`redis-url.ts`) to make its own. */
export type RedisSource = Redis | RedisOptions | string;

/** Returns a client with the store's scripts defined, and whether the store owns it. */
export function openRedis(source: RedisSource): { client: Redis; owned: boolean } {
  let client: Redis;
  let owned = true;
  if (source instanceof Redis) {
    client = source;
    owned = false;
  } else if (typeof source === "string") {
    const parsed = redisSourceFromUrl(source);
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

  constructor(private readonly client: Redis) {}

  /** Resolves once the client can take commands; rejects after `waitMs` or once the client ended. */
  async wait(op: string, waitMs: number): Promise<void> {
    const client = this.client;
    if (client.status === "ready") return;
    if (client.status === "end")
      throw new TraceStoreError("unavailable", op, "the redis connection was closed");
    if (client.status === "wait") client.connect().catch(() => undefined); // a lazy client: errors surface below
    this.pending ??= new Promise<void>((resolve) => {
      client.once("ready", () => {
        this.pending = undefined;
        resolve();
      });
    });
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
      await Promise.race([this.pending, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
