import { afterAll, beforeEach, describe, expect, it } from "vitest";
import type { OrderRecord, TokenRecord } from "../records.js";
import type { SampleStore } from "../sample-store.js";

/** A fresh, empty store per test, and a clock the test controls. */
export interface StoreFixture {
  readonly store: SampleStore;
  readonly clock: { now: number };
}

/** Builds an order record for tests. */
export function testOrder(id: string, overrides: Partial<OrderRecord> = {}): OrderRecord {
  return {
    id,
    sender: { phone: "+15551110000", name: "Ann" },
    receiver: { phone: "+15552220000", name: "Bob" },
    goods: [{ itemId: "a", quantity: 2, unitPriceCents: 100 }],
    fromStationId: "s1",
    toStationId: "s2",
    state: "created",
    currentStationId: "",
    goodsCents: 200,
    feeCents: 500,
    totalCents: 700,
    feeRule: "flat/v1",
    createdAtMs: 1,
    updatedAtMs: 1,
    revision: 1,
    createdBy: "order-service@v1",
    ...overrides,
  };
}

/**
 * The one contract every SampleStore meets. `make` returns a fresh, empty store; `cleanup`
 * runs after all tests.
 */
export function describeSampleStoreContract(
  name: string,
  make: () => Promise<StoreFixture>,
  cleanup: () => Promise<void> = () => Promise.resolve(),
): void {
  describe(`SampleStore contract: ${name}`, () => {
    let f: StoreFixture;
    beforeEach(async () => {
      f = await make();
      await f.store.putItem({ id: "a", name: "A", priceCents: 100, stock: 5 });
      await f.store.putItem({ id: "b", name: "B", priceCents: 250, stock: 1 });
    });
    afterAll(cleanup);

    it("creates a user once and refuses a second with the same phone", async () => {
      const user = {
        phone: "+15551110000",
        name: "Ann",
        role: "user" as const,
        passwordHash: "x",
        createdAtMs: 1,
      };
      expect(await f.store.createUser(user)).toBe(true);
      expect(await f.store.createUser({ ...user, name: "Other" })).toBe(false);
      expect((await f.store.getUser(user.phone))?.name).toBe("Ann");
      expect(await f.store.getUser("+15559999999")).toBeNull();
    });

    it("keeps tokens until they expire, with fields it does not know", async () => {
      const rec: TokenRecord = {
        phone: "+15551110000",
        role: "user",
        issuedAtMs: f.clock.now,
        expiresAtMs: f.clock.now + 60_000,
        issuer: "auth-service@v2",
        scopes: ["orders:read"],
        futureField: { x: 1 },
      };
      await f.store.putToken("t1", rec);
      expect(await f.store.getToken("t1")).toEqual(rec);
      expect(await f.store.getToken("nope")).toBeNull();
      f.clock.now += 60_001;
      expect(await f.store.getToken("t1")).toBeNull();
    });

    it("lists items and stations ordered by id", async () => {
      await f.store.putStation({ id: "s2", name: "Two", city: "B" });
      await f.store.putStation({ id: "s1", name: "One", city: "A" });
      expect((await f.store.listItems()).map((i) => [i.id, i.stock])).toEqual([
        ["a", 5],
        ["b", 1],
      ]);
      expect((await f.store.listStations()).map((s) => s.id)).toEqual(["s1", "s2"]);
      expect(await f.store.getStation("s1")).toEqual({ id: "s1", name: "One", city: "A" });
      expect(await f.store.getStation("s9")).toBeNull();
    });

    it("reserves and releases stock all or nothing", async () => {
      expect(
        await f.store.reserveStock([
          { itemId: "a", quantity: 2 },
          { itemId: "b", quantity: 2 },
        ]),
      ).toEqual({
        ok: false,
        reason: "insufficient-stock",
        itemId: "b",
        available: 1,
      });
      expect((await f.store.getItem("a"))?.stock).toBe(5);
      expect(
        await f.store.reserveStock([
          { itemId: "a", quantity: 1 },
          { itemId: "zz", quantity: 1 },
        ]),
      ).toEqual({
        ok: false,
        reason: "unknown-item",
        itemId: "zz",
      });
      expect((await f.store.getItem("a"))?.stock).toBe(5);
      const ok = await f.store.reserveStock([
        { itemId: "a", quantity: 3 },
        { itemId: "a", quantity: 1 },
      ]);
      expect(ok.ok && ok.items.map((i) => i.stock)).toEqual([1]);
      // Two lines of one item are checked against their sum.
      expect(
        (
          await f.store.reserveStock([
            { itemId: "a", quantity: 1 },
            { itemId: "a", quantity: 1 },
          ])
        ).ok,
      ).toBe(false);
      expect((await f.store.releaseStock([{ itemId: "a", quantity: 4 }])).ok).toBe(true);
      expect((await f.store.getItem("a"))?.stock).toBe(5);
      expect(
        (
          await f.store.releaseStock([
            { itemId: "a", quantity: 1 },
            { itemId: "zz", quantity: 1 },
          ])
        ).ok,
      ).toBe(false);
      expect((await f.store.getItem("a"))?.stock).toBe(5);
    });

    it("creates an order and reserves its stock atomically, or writes nothing", async () => {
      const short = testOrder("o1", {
        goods: [
          { itemId: "a", quantity: 2, unitPriceCents: 100 },
          { itemId: "b", quantity: 2, unitPriceCents: 250 },
        ],
      });
      expect(await f.store.createOrder(short)).toMatchObject({
        ok: false,
        reason: "insufficient-stock",
        itemId: "b",
      });
      expect(await f.store.getOrder("o1")).toBeNull();
      expect(await f.store.listOrdersByPhone("+15551110000")).toEqual([]);
      expect((await f.store.getItem("a"))?.stock).toBe(5);

      const unknown = testOrder("o1", { goods: [{ itemId: "zz", quantity: 1, unitPriceCents: 1 }] });
      expect(await f.store.createOrder(unknown)).toMatchObject({
        ok: false,
        reason: "unknown-item",
        itemId: "zz",
      });
      expect(await f.store.getOrder("o1")).toBeNull();

      const good = testOrder("o1", { feeBreakdown: { baseCents: 200 } });
      expect(await f.store.createOrder(good)).toEqual({ ok: true });
      expect(await f.store.getOrder("o1")).toEqual(good);
      expect((await f.store.getItem("a"))?.stock).toBe(3);
      expect(await f.store.createOrder(good)).toMatchObject({ ok: false, reason: "duplicate-order" });
      expect((await f.store.getItem("a"))?.stock).toBe(3);
    });

    it("lists a phone's orders newest first, for sender and receiver", async () => {
      await f.store.createOrder(testOrder("o1"));
      await f.store.createOrder(testOrder("o2", { receiver: { phone: "+15553330000", name: "Cy" } }));
      expect((await f.store.listOrdersByPhone("+15551110000")).map((o) => o.id)).toEqual(["o2", "o1"]);
      expect((await f.store.listOrdersByPhone("+15552220000")).map((o) => o.id)).toEqual(["o1"]);
      expect((await f.store.listOrdersByPhone("+15553330000")).map((o) => o.id)).toEqual(["o2"]);
    });

    it("replaces an order only at the expected revision", async () => {
      await f.store.createOrder(testOrder("o1"));
      const next = { ...testOrder("o1"), state: "at_station" as const, revision: 2 };
      expect(await f.store.replaceOrder(next, 2)).toBe("conflict");
      expect(await f.store.replaceOrder(next, 1)).toBe("ok");
      expect((await f.store.getOrder("o1"))?.state).toBe("at_station");
      expect(await f.store.replaceOrder(next, 1)).toBe("conflict");
      expect(await f.store.replaceOrder(testOrder("o9"), 1)).toBe("not-found");
    });

    it("keeps tracking events in order per order", async () => {
      const ev = (orderId: string, atMs: number) => ({
        orderId,
        stationId: "s1",
        direction: "in" as const,
        atMs,
        staffPhone: "+15550000001",
        recordedBy: "station-service@v1",
      });
      await f.store.appendEvent(ev("o1", 1));
      await f.store.appendEvent(ev("o2", 2));
      await f.store.appendEvent(ev("o1", 3));
      expect((await f.store.listEvents("o1")).map((e) => e.atMs)).toEqual([1, 3]);
      expect(await f.store.listEvents("o3")).toEqual([]);
    });

    it("hands out copies: changing a returned record changes nothing stored", async () => {
      await f.store.createOrder(testOrder("o1"));
      const got = (await f.store.getOrder("o1")) as { state: string } | null;
      if (got) got.state = "delivered";
      expect((await f.store.getOrder("o1"))?.state).toBe("created");
    });
  });
}
