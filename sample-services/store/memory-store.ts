import type {
  ItemRecord,
  OrderRecord,
  StationRecord,
  StockLine,
  TokenRecord,
  TrackingEventRecord,
  UserRecord,
} from "./records.js";
import type { ReplaceResult, SampleStore, StockRefusal, StockResult } from "./sample-store.js";

/** Sums quantities per item so a request naming one item twice is checked against its total. */
export function totalsByItem(lines: readonly StockLine[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const l of lines) totals.set(l.itemId, (totals.get(l.itemId) ?? 0) + l.quantity);
  return totals;
}

/**
 * The embedded store: plain maps in this process. Every operation runs synchronously inside one
 * call, so the all-or-nothing operations are atomic without locks. Records are copied in and
 * out, so callers never share mutable state with the store.
 */
export class MemorySampleStore implements SampleStore {
  readonly #users = new Map<string, UserRecord>();
  readonly #tokens = new Map<string, TokenRecord>();
  readonly #items = new Map<string, ItemRecord>();
  readonly #stations = new Map<string, StationRecord>();
  readonly #orders = new Map<string, OrderRecord>();
  readonly #ordersByPhone = new Map<string, string[]>();
  readonly #events = new Map<string, TrackingEventRecord[]>();

  constructor(private readonly now: () => number = Date.now) {}

  createUser(user: UserRecord): Promise<boolean> {
    if (this.#users.has(user.phone)) return Promise.resolve(false);
    this.#users.set(user.phone, structuredClone(user));
    return Promise.resolve(true);
  }

  getUser(phone: string): Promise<UserRecord | null> {
    return Promise.resolve(copy(this.#users.get(phone)));
  }

  putToken(token: string, record: TokenRecord): Promise<void> {
    this.#tokens.set(token, structuredClone(record));
    return Promise.resolve();
  }

  getToken(token: string): Promise<TokenRecord | null> {
    const rec = this.#tokens.get(token);
    if (rec !== undefined && rec.expiresAtMs <= this.now()) {
      this.#tokens.delete(token);
      return Promise.resolve(null);
    }
    return Promise.resolve(copy(rec));
  }

  putItem(item: ItemRecord): Promise<void> {
    this.#items.set(item.id, { ...item });
    return Promise.resolve();
  }

  getItem(id: string): Promise<ItemRecord | null> {
    return Promise.resolve(copy(this.#items.get(id)));
  }

  listItems(): Promise<ItemRecord[]> {
    return Promise.resolve([...this.#items.values()].sort(byId).map((i) => ({ ...i })));
  }

  reserveStock(lines: readonly StockLine[]): Promise<StockResult> {
    return Promise.resolve(this.#applyStock(lines, -1));
  }

  releaseStock(lines: readonly StockLine[]): Promise<StockResult> {
    return Promise.resolve(this.#applyStock(lines, 1));
  }

  putStation(station: StationRecord): Promise<void> {
    this.#stations.set(station.id, { ...station });
    return Promise.resolve();
  }

  getStation(id: string): Promise<StationRecord | null> {
    return Promise.resolve(copy(this.#stations.get(id)));
  }

  listStations(): Promise<StationRecord[]> {
    return Promise.resolve([...this.#stations.values()].sort(byId).map((s) => ({ ...s })));
  }

  createOrder(order: OrderRecord): Promise<{ readonly ok: true } | StockRefusal> {
    if (this.#orders.has(order.id)) return Promise.resolve({ ok: false, reason: "duplicate-order" });
    const stock = this.#applyStock(order.goods, -1);
    if (!stock.ok) return Promise.resolve(stock);
    this.#orders.set(order.id, structuredClone(order));
    for (const phone of new Set([order.sender.phone, order.receiver.phone])) {
      const ids = this.#ordersByPhone.get(phone) ?? [];
      ids.push(order.id);
      this.#ordersByPhone.set(phone, ids);
    }
    return Promise.resolve({ ok: true });
  }

  getOrder(id: string): Promise<OrderRecord | null> {
    return Promise.resolve(copy(this.#orders.get(id)));
  }

  listOrdersByPhone(phone: string): Promise<OrderRecord[]> {
    const ids = this.#ordersByPhone.get(phone) ?? [];
    const orders = ids.map((id) => this.#orders.get(id)).filter((o): o is OrderRecord => o !== undefined);
    return Promise.resolve(orders.reverse().map((o) => structuredClone(o)));
  }

  replaceOrder(next: OrderRecord, expectedRevision: number): Promise<ReplaceResult> {
    const current = this.#orders.get(next.id);
    if (current === undefined) return Promise.resolve("not-found");
    if (current.revision !== expectedRevision) return Promise.resolve("conflict");
    this.#orders.set(next.id, structuredClone(next));
    return Promise.resolve("ok");
  }

  appendEvent(event: TrackingEventRecord): Promise<void> {
    const list = this.#events.get(event.orderId) ?? [];
    list.push({ ...event });
    this.#events.set(event.orderId, list);
    return Promise.resolve();
  }

  listEvents(orderId: string): Promise<TrackingEventRecord[]> {
    return Promise.resolve((this.#events.get(orderId) ?? []).map((e) => ({ ...e })));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Checks every line first, then applies all of them: all or nothing. */
  #applyStock(lines: readonly StockLine[], sign: 1 | -1): StockResult {
    const totals = totalsByItem(lines);
    for (const [itemId, quantity] of totals) {
      const item = this.#items.get(itemId);
      if (item === undefined) return { ok: false, reason: "unknown-item", itemId };
      if (sign < 0 && item.stock < quantity)
        return { ok: false, reason: "insufficient-stock", itemId, available: item.stock };
    }
    const updated: ItemRecord[] = [];
    for (const [itemId, quantity] of totals) {
      const item = this.#items.get(itemId);
      if (item === undefined) continue;
      const next = { ...item, stock: item.stock + sign * quantity };
      this.#items.set(itemId, next);
      updated.push({ ...next });
    }
    return { ok: true, items: updated };
  }
}

function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function copy<T>(value: T | undefined): T | null {
  return value === undefined ? null : structuredClone(value);
}
