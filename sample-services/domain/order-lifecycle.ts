import type { OrderRecord, OrderState, ReceiptRecord } from "../store/records.js";

/** Life-cycle actions on an order. */
export const ORDER_ACTIONS = ["scan_in", "scan_out", "receive"] as const;
/** One life-cycle action. */
export type OrderAction = (typeof ORDER_ACTIONS)[number];

/** The outcome of applying an action: the next record, or why it is not allowed now. */
export type Transition =
  { readonly ok: true; readonly next: OrderRecord } | { readonly ok: false; readonly reason: string };

/**
 * Applies an action to an order (pure). A parcel is scanned in at a station, out of the same
 * station, and received once it has been scanned at least once. Unknown fields of the record are
 * preserved, so a version never drops what a newer one wrote.
 */
export function applyAction(
  order: OrderRecord,
  action: OrderAction,
  args: { readonly stationId?: string; readonly receipt?: ReceiptRecord; readonly now: number },
): Transition {
  const refuse = (why: string): Transition => ({
    ok: false,
    reason: `order ${order.id} is ${order.state}: ${why}`,
  });
  const next = (state: OrderState, extra: Partial<OrderRecord>): Transition => ({
    ok: true,
    next: { ...order, ...extra, state, updatedAtMs: args.now, revision: order.revision + 1 },
  });
  if (order.state === "delivered") return refuse("a delivered order cannot change");
  switch (action) {
    case "scan_in":
      if (args.stationId === undefined || args.stationId === "") return refuse("scan_in needs a station");
      if (order.state === "at_station")
        return refuse(
          `it must be scanned out of station ${order.currentStationId} before being scanned in again`,
        );
      return next("at_station", { currentStationId: args.stationId });
    case "scan_out":
      if (order.state !== "at_station") return refuse("only a parcel at a station can be scanned out");
      if (args.stationId !== order.currentStationId)
        return refuse(`it is at station ${order.currentStationId}, not ${args.stationId ?? "(none)"}`);
      return next("in_transit", {});
    case "receive":
      if (order.state === "created") return refuse("it has not been scanned at any station yet");
      if (args.receipt === undefined) return refuse("receive needs a signed receipt");
      return next("delivered", { receipt: args.receipt });
  }
}
