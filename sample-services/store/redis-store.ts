import { Redis } from "ioredis";
import { totalsByItem } from "./memory-store.js";
import type {
  ItemRecord,
  OrderRecord,
  StationRecord,
  StockLine,
  TokenRecord,
  TrackingEventRecord,
  UserRecord,
} from "./records.js";
import { CREATE_ORDER_SCRIPT, REPLACE_ORDER_SCRIPT, STOCK_SCRIPT } from "./redis-scripts.js";
import type { ReplaceResult, SampleStore, StockRefusal, StockResult } from "./sample-store.js";

/** Options of the Redis store. */
export interface RedisSampleStoreOptions {
  /**
   * Prefix of every key (default `{sample}:`), so several stores can share one Redis. Keep a
   * hash tag in it: the scripts touch several keys, which Redis Cluster allows only in one slot.
   */
  readonly keyPrefix?: string;
  readonly now?: () => number;
  /** Connection errors (commands still reject on their own); default: ignored. */
  readonly onError?: (err: Error) => void;
}

/**
 * The shared store on Redis (ioredis). Records are JSON strings, so fields one version does not
 * know survive a rewrite by it; stock is an integer hash so scripts can change it in place.
 * Multi-key writes run as Lua scripts (see redis-scripts.ts).
 */
export class RedisSampleStore implements SampleStore {
  readonly #redis: Redis;
  readonly #p: string;
  readonly #now: () => number;
  readonly #ownsClient: boolean;
  #closed = false;

  /** Wraps a client; `close()` quits it only if `ownsClient`. */
  constructor(redis: Redis, options: RedisSampleStoreOptions = {}, ownsClient = false) {
    this.#redis = redis;
    this.#p = options.keyPrefix ?? "{sample}:";
    this.#now = options.now ?? Date.now;
    this.#ownsClient = ownsClient;
  }

  /** Connects to `url` (`redis://host:port[/db]`) and owns the connection. */
  static async connect(url: string, options: RedisSampleStoreOptions = {}): Promise<RedisSampleStore> {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
    // Without a listener ioredis reports every reconnect attempt as an unhandled error.
    redis.on("error", options.onError ?? (() => undefined));
    try {
      await redis.connect();
    } catch (err) {
      redis.disconnect();
      throw new Error(`sample store: could not connect to Redis at ${redactUrl(url)}`, { cause: err });
    }
    return new RedisSampleStore(redis, options, true);
  }

  async createUser(user: UserRecord): Promise<boolean> {
    const res = await this.#redis.set(this.#k("user", user.phone), JSON.stringify(user), "NX");
    return res === "OK";
  }

  async getUser(phone: string): Promise<UserRecord | null> {
    return parse<UserRecord>(await this.#redis.get(this.#k("user", phone)));
  }

  async putToken(token: string, record: TokenRecord): Promise<void> {
    const ttl = Math.max(1, Math.ceil(record.expiresAtMs - this.#now()));
    await this.#redis.set(this.#k("token", token), JSON.stringify(record), "PX", ttl);
  }

  async getToken(token: string): Promise<TokenRecord | null> {
    const rec = parse<TokenRecord>(await this.#redis.get(this.#k("token", token)));
    return rec !== null && rec.expiresAtMs > this.#now() ? rec : null;
  }

  async putItem(item: ItemRecord): Promise<void> {
    const { stock, ...rest } = item;
    await this.#redis
      .multi()
      .set(this.#k("item", item.id), JSON.stringify(rest))
      .hset(this.#k("stock"), item.id, String(stock))
      .sadd(this.#k("items"), item.id)
      .exec();
  }

  async getItem(id: string): Promise<ItemRecord | null> {
    const [json, stock] = await Promise.all([
      this.#redis.get(this.#k("item", id)),
      this.#redis.hget(this.#k("stock"), id),
    ]);
    const base = parse<Omit<ItemRecord, "stock">>(json);
    return base === null ? null : { ...base, stock: Number(stock ?? 0) };
  }

  async listItems(): Promise<ItemRecord[]> {
    const ids = (await this.#redis.smembers(this.#k("items"))).sort();
    if (ids.length === 0) return [];
    const [jsons, stocks] = await Promise.all([
      this.#redis.mget(ids.map((id) => this.#k("item", id))),
      this.#redis.hmget(this.#k("stock"), ...ids),
    ]);
    const out: ItemRecord[] = [];
    ids.forEach((_, i) => {
      const base = parse<Omit<ItemRecord, "stock">>(jsons[i] ?? null);
      if (base !== null) out.push({ ...base, stock: Number(stocks[i] ?? 0) });
    });
    return out;
  }

  reserveStock(lines: readonly StockLine[]): Promise<StockResult> {
    return this.#stock(lines, -1);
  }

  releaseStock(lines: readonly StockLine[]): Promise<StockResult> {
    return this.#stock(lines, 1);
  }

  async putStation(station: StationRecord): Promise<void> {
    await this.#redis
      .multi()
      .set(this.#k("station", station.id), JSON.stringify(station))
      .sadd(this.#k("stations"), station.id)
      .exec();
  }

  async getStation(id: string): Promise<StationRecord | null> {
    return parse<StationRecord>(await this.#redis.get(this.#k("station", id)));
  }

  async listStations(): Promise<StationRecord[]> {
    const ids = (await this.#redis.smembers(this.#k("stations"))).sort();
    if (ids.length === 0) return [];
    const jsons = await this.#redis.mget(ids.map((id) => this.#k("station", id)));
    return jsons.map((j) => parse<StationRecord>(j)).filter((s): s is StationRecord => s !== null);
  }

  async createOrder(order: OrderRecord): Promise<{ readonly ok: true } | StockRefusal> {
    const phones = [...new Set([order.sender.phone, order.receiver.phone])];
    const keys = [
      this.#k("stock"),
      this.#k("order", order.id),
      ...phones.map((p) => this.#k("orders-of", p)),
    ];
    const args = [JSON.stringify(order), order.id, ...pairs(order.goods)];
    const res = (await this.#redis.eval(CREATE_ORDER_SCRIPT, keys.length, ...keys, ...args)) as string[];
    const refusal = toRefusal(res);
    return refusal ?? { ok: true };
  }

  async getOrder(id: string): Promise<OrderRecord | null> {
    return parse<OrderRecord>(await this.#redis.get(this.#k("order", id)));
  }

  async listOrdersByPhone(phone: string): Promise<OrderRecord[]> {
    const ids = await this.#redis.lrange(this.#k("orders-of", phone), 0, -1);
    if (ids.length === 0) return [];
    const jsons = await this.#redis.mget(ids.map((id) => this.#k("order", id)));
    return jsons.map((j) => parse<OrderRecord>(j)).filter((o): o is OrderRecord => o !== null);
  }

  async replaceOrder(next: OrderRecord, expectedRevision: number): Promise<ReplaceResult> {
    const res = await this.#redis.eval(
      REPLACE_ORDER_SCRIPT,
      1,
      this.#k("order", next.id),
      String(expectedRevision),
      JSON.stringify(next),
    );
    if (res === "ok" || res === "not-found" || res === "conflict") return res;
    throw new Error(`sample store: unexpected reply ${String(res)} replacing order ${next.id}`);
  }

  async appendEvent(event: TrackingEventRecord): Promise<void> {
    await this.#redis.rpush(this.#k("events", event.orderId), JSON.stringify(event));
  }

  async listEvents(orderId: string): Promise<TrackingEventRecord[]> {
    const list = await this.#redis.lrange(this.#k("events", orderId), 0, -1);
    return list.map((j) => JSON.parse(j) as TrackingEventRecord);
  }

  async close(): Promise<void> {
    if (this.#closed || !this.#ownsClient) return;
    this.#closed = true;
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }

  async #stock(lines: readonly StockLine[], sign: 1 | -1): Promise<StockResult> {
    const totals = [...totalsByItem(lines)].map(([itemId, quantity]) => ({ itemId, quantity }));
    const res = (await this.#redis.eval(
      STOCK_SCRIPT,
      1,
      this.#k("stock"),
      String(sign),
      ...pairs(totals),
    )) as string[];
    const refusal = toRefusal(res);
    if (refusal !== null) return refusal;
    const items = await Promise.all(totals.map((t) => this.getItem(t.itemId)));
    return { ok: true, items: items.filter((i): i is ItemRecord => i !== null) };
  }

  #k(...parts: string[]): string {
    return this.#p + parts.join(":");
  }
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== "") u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable Redis URL)";
  }
}

function pairs(lines: readonly StockLine[]): string[] {
  // Totals per item, so an order naming one item twice is checked against the sum.
  return [...totalsByItem(lines)].flatMap(([id, q]) => [id, String(q)]);
}

function toRefusal(res: string[]): StockRefusal | null {
  const [reason, itemId, available] = res;
  if (reason === "ok") return null;
  if (reason === "duplicate-order") return { ok: false, reason };
  if (reason === "unknown-item" && itemId !== undefined) return { ok: false, reason, itemId };
  if (reason === "insufficient-stock" && itemId !== undefined)
    return { ok: false, reason, itemId, available: Number(available) };
  throw new Error(`sample store: unexpected script reply ${JSON.stringify(res)}`);
}

// Records are written only by this store, as JSON of the record types; the caller names the type read.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
function parse<T>(json: string | null): T | null {
  return json === null ? null : (JSON.parse(json) as T);
}
