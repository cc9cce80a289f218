import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UpstreamPool } from "../grpc/upstreams.js";
import type { OrderReply } from "../grpc/messages.js";
import { launchService, type RunningService } from "../launch.js";
import { ServedBy } from "../served-by.js";
import { MemorySampleStore } from "../store/memory-store.js";
import { seedSampleData } from "../store/seed.js";

const logger = pino({ level: "silent" });

describe("order-service quote and commit", () => {
  const running: RunningService[] = [];
  const store = new MemorySampleStore();
  let pool: UpstreamPool;
  const draft = {
    sender: { phone: "+15551110000", name: "A" },
    receiver: { phone: "+15552220000", name: "B" },
    goods: [{ itemId: "item-tea", quantity: 2 }],
    fromStationId: "st-hub",
    toStationId: "st-west",
  };

  beforeAll(async () => {
    await seedSampleData(store);
    const item = await launchService({ name: "item-service", version: "v1", store, upstreams: {}, logger });
    const station = await launchService({
      name: "station-service",
      version: "v1",
      store,
      upstreams: {},
      logger,
    });
    running.push(item, station);
    const upstreams = { "item-service": item.address, "station-service": station.address };
    const v1 = await launchService({ name: "order-service", version: "v1", store, upstreams, logger });
    const v2 = await launchService({ name: "order-service", version: "v2", store, upstreams, logger });
    running.push(v1, v2);
    pool = new UpstreamPool({
      upstreams: { "order-service": v1.address },
      methodUpstreams: { "order-service/GetSpecificOrder": v2.address },
    });
  });
  afterAll(async () => {
    pool.close();
    for (const s of running.reverse()) await s.stop();
  });

  it("aborts a commit priced under another version's fee rule, writing nothing", async () => {
    const stock = (await store.getItem("item-tea"))?.stock;
    const quote = await pool.call<OrderReply>(
      "order-service",
      "CreateOrder",
      { ...draft, validateOnly: true },
      {},
      new ServedBy(),
    );
    expect(quote.order).toMatchObject({ id: "", feeRule: "flat/v1", totalCents: 3500 });
    await expect(
      pool.call(
        "order-service",
        "CreateOrder",
        { ...draft, quotedFeeRule: "per-unit/v2", quotedTotalCents: 3350 },
        {},
        new ServedBy(),
      ),
    ).rejects.toMatchObject({
      code: 10,
      message: expect.stringMatching(
        /quoted under fee rule per-unit\/v2 .* transaction served by two order-service versions/,
      ),
    });
    expect(await store.listOrdersByPhone(draft.sender.phone)).toEqual([]);
    expect((await store.getItem("item-tea"))?.stock).toBe(stock);
  });

  it("commits a matching quote, and the other version reads it", async () => {
    const created = await pool.call<OrderReply>(
      "order-service",
      "CreateOrder",
      { ...draft, quotedFeeRule: "flat/v1", quotedTotalCents: 3500 },
      {},
      new ServedBy(),
    );
    const servedBy = new ServedBy();
    const read = await pool.call<OrderReply>(
      "order-service",
      "GetSpecificOrder",
      { orderId: created.order?.id },
      {},
      servedBy,
    );
    expect(read.order).toMatchObject({
      id: created.order?.id,
      feeRule: "flat/v1",
      createdBy: "order-service@v1",
    });
    expect(servedBy.list()).toEqual(["order-service@v2"]);
  });
});
