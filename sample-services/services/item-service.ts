import { ID_RULE, isId, isQuantity, LIMITS } from "../domain/validation.js";
import { quoted } from "../echo.js";
import { Code, ServiceError } from "../grpc/errors.js";
import type { GetItemsRequest, ItemList, StockRequest } from "../grpc/messages.js";
import type { UnaryHandler } from "../grpc/server-kit.js";
import type { StockLine } from "../store/records.js";
import type { SampleStore, StockResult } from "../store/sample-store.js";

/** item-service handlers: goods, prices and stock. */
export function itemHandlers(deps: { readonly store: SampleStore }): Record<string, UnaryHandler> {
  const { store } = deps;
  return {
    ListItems: async (): Promise<ItemList> => ({ items: await store.listItems() }),
    GetItems: async (req: GetItemsRequest): Promise<ItemList> => {
      if (req.ids.length === 0)
        throw new ServiceError(Code.INVALID_ARGUMENT, "at least one item id is required");
      const items = [];
      for (const id of req.ids) {
        if (!isId(id))
          throw new ServiceError(Code.INVALID_ARGUMENT, `item id ${quoted(id)} is not valid: ${ID_RULE}`);
        const item = await store.getItem(id);
        if (item === null) throw new ServiceError(Code.NOT_FOUND, `item ${quoted(id)} does not exist`);
        items.push(item);
      }
      return { items };
    },
    ReserveStock: async (req: StockRequest): Promise<ItemList> =>
      stockReply(await store.reserveStock(validLines(req))),
    ReleaseStock: async (req: StockRequest): Promise<ItemList> =>
      stockReply(await store.releaseStock(validLines(req))),
  };
}

/** Validates stock lines: 1..50 lines, known id shape, whole quantities in range. */
export function validLines(req: StockRequest): StockLine[] {
  if (req.lines.length === 0 || req.lines.length > LIMITS.maxGoodsLines)
    throw new ServiceError(
      Code.INVALID_ARGUMENT,
      `between 1 and ${LIMITS.maxGoodsLines} stock lines are required`,
    );
  return req.lines.map((l, i) => {
    if (!isId(l.itemId))
      throw new ServiceError(
        Code.INVALID_ARGUMENT,
        `line ${i + 1}: item id ${quoted(l.itemId)} is not valid: ${ID_RULE}`,
      );
    if (!isQuantity(l.quantity))
      throw new ServiceError(
        Code.INVALID_ARGUMENT,
        `line ${i + 1}: quantity must be a whole number from 1 to ${LIMITS.maxQuantity}`,
      );
    return { itemId: l.itemId, quantity: l.quantity };
  });
}

function stockReply(result: StockResult): ItemList {
  if (result.ok) return { items: [...result.items] };
  if (result.reason === "unknown-item")
    throw new ServiceError(Code.NOT_FOUND, `item ${quoted(result.itemId)} does not exist`);
  if (result.reason === "insufficient-stock")
    throw new ServiceError(
      Code.FAILED_PRECONDITION,
      `item ${quoted(result.itemId)} has only ${result.available} in stock`,
    );
  throw new ServiceError(Code.INTERNAL, `unexpected stock refusal ${result.reason}`);
}
