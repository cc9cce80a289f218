import { randomBytes } from "node:crypto";
import type { Behaviour } from "../domain/behaviour-version.js";
import { priceOrder } from "../domain/fees.js";
import { applyAction, ORDER_ACTIONS, type OrderAction } from "../domain/order-lifecycle.js";
import { ID_RULE, isId, isName, isPhone, isQuantity, LIMITS } from "../domain/validation.js";
import { quoted } from "../echo.js";
import { Code, ServiceError } from "../grpc/errors.js";
import type {
  CreateOrderRequest,
  GetOrderListRequest,
  GetSpecificOrderRequest,
  ItemList,
  OrderListReply,
  OrderMsg,
  OrderReply,
  PartyMsg,
  StationList,
  UpdateOrderStateRequest,
} from "../grpc/messages.js";
import type { HandlerContext, UnaryHandler } from "../grpc/server-kit.js";
import type { OrderLine, OrderRecord } from "../store/records.js";
import type { SampleStore } from "../store/sample-store.js";

/** What order-service needs. */
export interface OrderServiceDeps {
  readonly version: string;
  readonly behaviour: Behaviour;
  readonly store: SampleStore;
  readonly now?: () => number;
  readonly newId?: () => string;
}

const MAX_CAS_ATTEMPTS = 5;

/**
 * order-service handlers. Prices come from item-service and stations are checked with
 * station-service; the fee rule is the version's. Creation reserves stock and writes the order
 * in one atomic store call.
 */
export function orderHandlers(deps: OrderServiceDeps): Record<string, UnaryHandler> {
  const now = deps.now ?? Date.now;
  const newId = deps.newId ?? (() => `o-${randomBytes(9).toString("base64url").replace(/[-_]/g, "x")}`);
  const self = `order-service@${deps.version}`;

  const createOrder = async (req: CreateOrderRequest, ctx: HandlerContext): Promise<OrderReply> => {
    const sender = party(req.sender, "sender");
    const receiver = party(req.receiver, "receiver");
    if (req.goods.length === 0) throw invalid("an order needs at least one goods line");
    if (req.goods.length > LIMITS.maxGoodsLines)
      throw invalid(`an order has at most ${LIMITS.maxGoodsLines} goods lines`);
    req.goods.forEach((l, i) => {
      if (!isId(l.itemId))
        throw invalid(`goods line ${i + 1}: item id ${quoted(l.itemId)} is not valid: ${ID_RULE}`);
      if (!isQuantity(l.quantity))
        throw invalid(
          `goods line ${i + 1}: quantity must be a whole number from 1 to ${LIMITS.maxQuantity}, not ${quoted(l.quantity)}`,
        );
    });
    for (const [field, id] of [
      ["from_station_id", req.fromStationId],
      ["to_station_id", req.toStationId],
    ] as const)
      if (!isId(id)) throw invalid(`${field} ${quoted(id)} is not a valid station id: ${ID_RULE}`);

    const ids = [...new Set(req.goods.map((l) => l.itemId))];
    const { items } = await ctx.call<ItemList>("item-service", "GetItems", { ids });
    const prices = new Map(items.map((i) => [i.id, i.priceCents]));
    await ctx.call<StationList>("station-service", "GetStations", {
      ids: [req.fromStationId, req.toStationId],
    });

    const goods: OrderLine[] = req.goods.map((l) => ({
      itemId: l.itemId,
      quantity: l.quantity,
      unitPriceCents: prices.get(l.itemId) ?? 0,
    }));
    const quote = priceOrder(deps.behaviour, goods);
    if (
      !req.validateOnly &&
      req.quotedFeeRule !== "" &&
      (req.quotedFeeRule !== quote.feeRule || req.quotedTotalCents !== quote.totalCents)
    ) {
      throw new ServiceError(
        Code.ABORTED,
        `order was quoted under fee rule ${req.quotedFeeRule} (total ${req.quotedTotalCents}) but ${self} prices it under ` +
          `${quote.feeRule} (total ${quote.totalCents}): transaction served by two order-service versions`,
      );
    }
    const at = now();
    const order: OrderRecord = {
      id: req.validateOnly ? "" : newId(),
      sender,
      receiver,
      goods,
      fromStationId: req.fromStationId,
      toStationId: req.toStationId,
      state: "created",
      currentStationId: "",
      ...quote,
      createdAtMs: at,
      updatedAtMs: at,
      revision: 1,
      createdBy: self,
    };
    if (req.validateOnly) return { order: toOrderMsg(order) };
    const result = await deps.store.createOrder(order);
    if (!result.ok) {
      if (result.reason === "unknown-item")
        throw new ServiceError(Code.NOT_FOUND, `item ${quoted(result.itemId)} does not exist`);
      if (result.reason === "insufficient-stock")
        throw new ServiceError(
          Code.FAILED_PRECONDITION,
          `item ${quoted(result.itemId)} has only ${result.available} in stock`,
        );
      throw new ServiceError(Code.ALREADY_EXISTS, `order ${order.id} already exists`);
    }
    ctx.log.info(
      { orderId: order.id, totalCents: order.totalCents, feeRule: order.feeRule },
      "order created",
    );
    return { order: toOrderMsg(order) };
  };

  const getOrderList = async (req: GetOrderListRequest): Promise<OrderListReply> => {
    if (!isPhone(req.phone))
      throw invalid(`phone ${quoted(req.phone)} is not a phone number like +15551234567`);
    return { orders: (await deps.store.listOrdersByPhone(req.phone)).map(toOrderMsg) };
  };

  const getSpecificOrder = async (req: GetSpecificOrderRequest): Promise<OrderReply> => {
    requireOrderId(req.orderId);
    return { order: toOrderMsg(await orderOrThrow(deps.store, req.orderId)) };
  };

  const updateOrderState = async (req: UpdateOrderStateRequest, ctx: HandlerContext): Promise<OrderReply> => {
    requireOrderId(req.orderId);
    if (!(ORDER_ACTIONS as readonly string[]).includes(req.action))
      throw invalid(`action must be one of ${ORDER_ACTIONS.join(", ")}, not ${quoted(req.action)}`);
    const action = req.action as OrderAction;
    if (action !== "receive") {
      if (!isId(req.stationId)) throw invalid(`station id ${quoted(req.stationId)} is not valid: ${ID_RULE}`);
      await ctx.call<StationList>("station-service", "GetStations", { ids: [req.stationId] });
    }
    // Optimistic concurrency: re-read and retry when another writer got in between.
    for (let attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt++) {
      const order = await orderOrThrow(deps.store, req.orderId);
      const t = applyAction(order, action, {
        stationId: req.stationId,
        now: now(),
        ...(req.receipt === null ? {} : { receipt: { ...req.receipt } }),
      });
      if (!t.ok) throw new ServiceError(Code.FAILED_PRECONDITION, t.reason);
      const res = await deps.store.replaceOrder(t.next, order.revision);
      if (res === "ok") return { order: toOrderMsg(t.next) };
      if (res === "not-found")
        throw new ServiceError(Code.NOT_FOUND, `order ${quoted(req.orderId)} does not exist`);
    }
    throw new ServiceError(Code.ABORTED, `order ${req.orderId} kept changing; try again`);
  };

  return {
    CreateOrder: createOrder,
    GetOrderList: getOrderList,
    GetSpecificOrder: getSpecificOrder,
    UpdateOrderState: updateOrderState,
  };
}

/** Refuses an order id of another shape at the entry: INVALID_ARGUMENT, not a lookup. */
function requireOrderId(id: string): void {
  if (!isId(id)) throw invalid(`order id ${quoted(id)} is not valid: ${ID_RULE}`);
}

async function orderOrThrow(store: SampleStore, id: string): Promise<OrderRecord> {
  const order = isId(id) ? await store.getOrder(id) : null;
  if (order === null) throw new ServiceError(Code.NOT_FOUND, `order ${quoted(id)} does not exist`);
  return order;
}

function party(p: PartyMsg | null, role: "sender" | "receiver"): { phone: string; name: string } {
  if (p === null) throw invalid(`${role} is required`);
  if (!isPhone(p.phone))
    throw invalid(`${role} phone ${quoted(p.phone)} is not a phone number like +15551234567`);
  if (!isName(p.name)) throw invalid(`${role} name must be 1 to ${LIMITS.maxNameLength} characters`);
  return { phone: p.phone, name: p.name.trim() };
}

/** Maps a stored order (of any version) to its message; unknown extra fields stay in the store. */
export function toOrderMsg(o: OrderRecord): OrderMsg {
  return {
    id: o.id,
    sender: { ...o.sender },
    receiver: { ...o.receiver },
    goods: o.goods.map((g) => ({ ...g })),
    fromStationId: o.fromStationId,
    toStationId: o.toStationId,
    state: o.state,
    currentStationId: o.currentStationId,
    goodsCents: o.goodsCents,
    feeCents: o.feeCents,
    totalCents: o.totalCents,
    feeRule: o.feeRule,
    createdAtMs: o.createdAtMs,
    updatedAtMs: o.updatedAtMs,
    receipt: o.receipt === undefined ? null : { ...o.receipt },
    revision: o.revision,
    createdBy: o.createdBy,
  };
}

function invalid(message: string): ServiceError {
  return new ServiceError(Code.INVALID_ARGUMENT, message);
}
