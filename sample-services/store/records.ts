/**
 * Records kept in the shared store. Every version reads what every other version wrote
 * (expand/contract): fields are only ever added, readers tolerate their absence, and writers
 * preserve fields they do not know (records are rewritten with a spread of what was read).
 */

/** An end user or a staff member. */
export interface UserRecord {
  readonly phone: string;
  readonly name: string;
  readonly role: "user" | "staff";
  /** `scrypt$<salt hex>$<hash hex>` */
  readonly passwordHash: string;
  readonly createdAtMs: number;
  readonly [extra: string]: unknown;
}

/** A session token's record. v2 adds `scopes`; v1 ignores it and v2 derives it when absent. */
export interface TokenRecord {
  readonly phone: string;
  readonly role: "user" | "staff";
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
  /** `"auth-service@<version>"` */
  readonly issuer: string;
  readonly scopes?: readonly string[];
  readonly [extra: string]: unknown;
}

/** A good with its price and stock. */
export interface ItemRecord {
  readonly id: string;
  readonly name: string;
  readonly priceCents: number;
  readonly stock: number;
}

/** A station where parcels are scanned in and out. */
export interface StationRecord {
  readonly id: string;
  readonly name: string;
  readonly city: string;
}

/** One goods line of an order, priced at creation. */
export interface OrderLine {
  readonly itemId: string;
  readonly quantity: number;
  readonly unitPriceCents: number;
}

/** A signed delivery receipt. `scheme` says which auth-service version's scheme signed it. */
export interface ReceiptRecord {
  readonly signerPhone: string;
  readonly signedAtMs: number;
  readonly scheme: string;
  readonly signature: string;
  readonly totalCents: number;
}

/** Life-cycle states of an order. */
export const ORDER_STATES = ["created", "at_station", "in_transit", "delivered"] as const;
/** One life-cycle state of an order. */
export type OrderState = (typeof ORDER_STATES)[number];

/** An order. v2 adds `feeBreakdown`; v1 ignores and preserves it. */
export interface OrderRecord {
  readonly id: string;
  readonly sender: { readonly phone: string; readonly name: string };
  readonly receiver: { readonly phone: string; readonly name: string };
  readonly goods: readonly OrderLine[];
  readonly fromStationId: string;
  readonly toStationId: string;
  readonly state: OrderState;
  readonly currentStationId: string;
  readonly goodsCents: number;
  readonly feeCents: number;
  readonly totalCents: number;
  readonly feeRule: string;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly receipt?: ReceiptRecord;
  /** Bumped on every write; updates compare it (optimistic concurrency). */
  readonly revision: number;
  readonly createdBy: string;
  readonly [extra: string]: unknown;
}

/** An in/out scan of an order at a station. */
export interface TrackingEventRecord {
  readonly orderId: string;
  readonly stationId: string;
  readonly direction: "in" | "out";
  readonly atMs: number;
  readonly staffPhone: string;
  readonly recordedBy: string;
}

/** A quantity of one item, for stock operations. */
export interface StockLine {
  readonly itemId: string;
  readonly quantity: number;
}
