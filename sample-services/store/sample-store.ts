import type {
  ItemRecord,
  OrderRecord,
  StationRecord,
  StockLine,
  TokenRecord,
  TrackingEventRecord,
  UserRecord,
} from "./records.js";

/** Why a stock operation or an order creation was refused; nothing was written. */
export type StockRefusal =
  | { readonly ok: false; readonly reason: "unknown-item"; readonly itemId: string }
  | {
      readonly ok: false;
      readonly reason: "insufficient-stock";
      readonly itemId: string;
      readonly available: number;
    }
  | { readonly ok: false; readonly reason: "duplicate-order"; readonly itemId?: undefined };

/** Result of an all-or-nothing stock operation. */
export type StockResult = { readonly ok: true; readonly items: readonly ItemRecord[] } | StockRefusal;

/** Result of a compare-and-set order update. */
export type ReplaceResult = "ok" | "not-found" | "conflict";

/**
 * The shared state of the logistics services. It lives outside the service instances, so v1
 * and v2 serve the same data. Implemented in memory and on Redis; one contract suite covers both.
 */
export interface SampleStore {
  /** Creates a user unless the phone is taken; returns false (and writes nothing) if taken. */
  createUser(user: UserRecord): Promise<boolean>;
  getUser(phone: string): Promise<UserRecord | null>;

  /** Stores a session token until its `expiresAtMs`. */
  putToken(token: string, record: TokenRecord): Promise<void>;
  /** A token's record, or null when unknown or expired. */
  getToken(token: string): Promise<TokenRecord | null>;

  /** Creates or replaces an item (seeding, restocking). */
  putItem(item: ItemRecord): Promise<void>;
  getItem(id: string): Promise<ItemRecord | null>;
  /** All items, ordered by id. */
  listItems(): Promise<ItemRecord[]>;
  /** Takes stock for every line or for none. */
  reserveStock(lines: readonly StockLine[]): Promise<StockResult>;
  /** Returns stock for every line or for none (unknown items refuse the whole call). */
  releaseStock(lines: readonly StockLine[]): Promise<StockResult>;

  /** Creates or replaces a station (seeding). */
  putStation(station: StationRecord): Promise<void>;
  getStation(id: string): Promise<StationRecord | null>;
  /** All stations, ordered by id. */
  listStations(): Promise<StationRecord[]>;

  /**
   * Atomically reserves stock for every goods line, writes the order and indexes it under the
   * sender's and receiver's phones. On any refusal nothing at all is written.
   */
  createOrder(order: OrderRecord): Promise<{ readonly ok: true } | StockRefusal>;
  getOrder(id: string): Promise<OrderRecord | null>;
  /** Orders a phone sent or receives, newest first. */
  listOrdersByPhone(phone: string): Promise<OrderRecord[]>;
  /** Replaces an order if its stored revision is still `expectedRevision`. */
  replaceOrder(next: OrderRecord, expectedRevision: number): Promise<ReplaceResult>;

  /** Appends a tracking event to its order's history. */
  appendEvent(event: TrackingEventRecord): Promise<void>;
  /** An order's tracking history, oldest first. */
  listEvents(orderId: string): Promise<TrackingEventRecord[]>;

  /** Releases connections. Idempotent. */
  close(): Promise<void>;
}
