import { setTimeout as sleep } from "node:timers/promises";
import type { Request } from "express";
import type {
  AuthReceiptMsg,
  ChallengeReply,
  EventList,
  OrderListReply,
  OrderReply,
  TrackingEventMsg,
  VerifyReceiptReply,
} from "../grpc/messages.js";
import { objectBody, objectField, stringField } from "./body.js";
import { ApiError, badRequest } from "./http-errors.js";
import type { ApiContext } from "./request-context.js";
import { transactionHolds } from "./transaction-holds.js";
import {
  authenticate,
  delayOf,
  holdOf,
  idParam,
  phoneParam,
  requireScope,
  type RouteResult,
  type RouteSettings,
} from "./route-helpers.js";

/**
 * POST /orders. The transaction calls auth-service twice: a challenge at the start, verified
 * just before the order is committed. The quote and the commit likewise both go to
 * order-service. If either pair lands on two versions, the transaction fails (409) and writes
 * nothing.
 */
export async function createOrder(
  req: Request,
  ctx: ApiContext,
  settings: RouteSettings,
): Promise<RouteResult> {
  const b = objectBody(req.body);
  const receiver = objectField(b, "receiver");
  const goods = b.goods;
  if (!Array.isArray(goods)) throw badRequest(`"goods" must be an array of { itemId, quantity }`);
  const lines = goods.map((g: unknown, i) => {
    if (typeof g !== "object" || g === null) throw badRequest(`goods[${i}] must be an object`);
    const line = g as Record<string, unknown>;
    if (typeof line.itemId !== "string") throw badRequest(`goods[${i}].itemId must be a string`);
    if (typeof line.quantity !== "number") throw badRequest(`goods[${i}].quantity must be a number`);
    if (!Number.isInteger(line.quantity)) throw badRequest(`goods[${i}].quantity must be a whole number`);
    // Out-of-int32 quantities would wrap on the wire; refuse them here with the same message.
    if (Math.abs(line.quantity) > 2 ** 31 - 1) throw badRequest(`goods[${i}].quantity is out of range`);
    return { itemId: line.itemId, quantity: line.quantity };
  });
  const delayMs = delayOf(req, settings);
  const hold = holdOf(req);
  const fromStationId = stringField(b, "fromStationId");
  const toStationId = stringField(b, "toStationId");

  const { challenge } = await ctx.call<ChallengeReply>("auth-service", "IssueChallenge", {
    requestId: ctx.requestId,
  });
  const { user, scopes } = await authenticate(req, ctx);
  requireScope(scopes, "orders:write", "creating an order");
  const draft = {
    sender: { phone: user.phone, name: user.name },
    receiver: { phone: stringField(receiver, "phone"), name: stringField(receiver, "name") },
    goods: lines,
    fromStationId,
    toStationId,
  };
  const quote = await ctx.call<OrderReply>("order-service", "CreateOrder", { ...draft, validateOnly: true });
  if (delayMs > 0) await sleep(delayMs, undefined, { signal: ctx.signal });
  if (hold !== undefined)
    await transactionHolds.hold(hold, () => ctx.servedBy.list(), settings.maxDelayMs, ctx.signal);
  await ctx.call("auth-service", "VerifyChallenge", { challenge, requestId: ctx.requestId });
  const created = await ctx.call<OrderReply>("order-service", "CreateOrder", {
    ...draft,
    quotedFeeRule: quote.order?.feeRule ?? "",
    quotedTotalCents: quote.order?.totalCents ?? 0,
  });
  return { status: 201, body: { order: created.order } };
}

/** GET /orders/:id: the order, its tracking history and its receipt's validity. */
export async function getOrder(req: Request, ctx: ApiContext): Promise<RouteResult> {
  const orderId = idParam(req, "id", "order id");
  const { user } = await authenticate(req, ctx);
  const { order } = await ctx.call<OrderReply>("order-service", "GetSpecificOrder", { orderId });
  if (order === null) throw new ApiError(502, "BAD_GATEWAY", "order-service returned no order");
  if (user.role !== "staff" && order.sender?.phone !== user.phone && order.receiver?.phone !== user.phone)
    throw new ApiError(403, "PERMISSION_DENIED", `order ${order.id} belongs to other users`);
  const { events } = await ctx.call<EventList>("station-service", "ListEvents", { orderId: order.id });
  let receipt: Record<string, unknown> | null = null;
  if (order.receipt !== null) {
    const r: AuthReceiptMsg = { orderId: order.id, ...order.receipt };
    const check = await ctx.call<VerifyReceiptReply>("auth-service", "VerifyReceipt", { receipt: r });
    receipt = {
      ...order.receipt,
      valid: check.valid,
      ...(check.valid ? {} : { invalidReason: check.reason }),
    };
  }
  return { status: 200, body: { order, tracking: events, receipt } };
}

/** GET /users/:phone/orders: orders a user sent or receives (own orders, or any for staff). */
export async function listUserOrders(req: Request, ctx: ApiContext): Promise<RouteResult> {
  const phone = phoneParam(req, "phone");
  const { user } = await authenticate(req, ctx);
  if (user.role !== "staff" && user.phone !== phone)
    throw new ApiError(403, "PERMISSION_DENIED", `only ${phone} or staff may list ${phone}'s orders`);
  const { orders } = await ctx.call<OrderListReply>("order-service", "GetOrderList", { phone });
  return { status: 200, body: { orders } };
}

/** POST /orders/:id/scan: staff scan a parcel in or out of a station. */
export async function scan(req: Request, ctx: ApiContext): Promise<RouteResult> {
  const orderId = idParam(req, "id", "order id");
  const b = objectBody(req.body);
  const stationId = stringField(b, "stationId");
  const direction = stringField(b, "direction");
  if (direction !== "in" && direction !== "out") throw badRequest(`"direction" must be "in" or "out"`);
  const { user, scopes } = await authenticate(req, ctx);
  requireScope(scopes, "orders:scan", "scanning a parcel");
  const { order } = await ctx.call<OrderReply>("order-service", "UpdateOrderState", {
    orderId,
    action: direction === "in" ? "scan_in" : "scan_out",
    stationId,
  });
  const event = await ctx.call<TrackingEventMsg>("station-service", "RecordScan", {
    orderId,
    stationId,
    direction,
    staffPhone: user.phone,
  });
  return { status: 200, body: { order, event } };
}

/** POST /orders/:id/receive: the receiver signs for the parcel. */
export async function receive(req: Request, ctx: ApiContext): Promise<RouteResult> {
  const orderId = idParam(req, "id", "order id");
  const { user, scopes } = await authenticate(req, ctx);
  requireScope(scopes, "orders:receive", "receiving a parcel");
  const { order } = await ctx.call<OrderReply>("order-service", "GetSpecificOrder", { orderId });
  if (order === null) throw new ApiError(502, "BAD_GATEWAY", "order-service returned no order");
  if (order.receiver?.phone !== user.phone)
    throw new ApiError(403, "PERMISSION_DENIED", `only the receiver of order ${orderId} may receive it`);
  const receipt = await ctx.call<AuthReceiptMsg>("auth-service", "SignReceipt", {
    orderId,
    signerPhone: user.phone,
    totalCents: order.totalCents,
  });
  const { orderId: _ignored, ...stored } = receipt;
  const updated = await ctx.call<OrderReply>("order-service", "UpdateOrderState", {
    orderId,
    action: "receive",
    receipt: stored,
  });
  return { status: 200, body: { order: updated.order } };
}
