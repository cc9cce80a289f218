import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchService, type RunningService } from "../../sample-services/launch.js";
import { mixedVersions } from "../../sample-services/served-by.js";
import { MemorySampleStore } from "../../sample-services/store/memory-store.js";
import { RedisSampleStore } from "../../sample-services/store/redis-store.js";
import type { SampleStore } from "../../sample-services/store/sample-store.js";
import { seedSampleData } from "../../sample-services/store/seed.js";
import { startSampleSystem, type SampleSystem } from "../../sample-services/system.js";
import { startTestRedis, type TestRedis } from "../support/redis-server.js";
import { RestClient } from "./rest-client.js";

const logger = pino({ level: "silent" });
let redis: TestRedis;
let prefix = 0;

beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis.stop();
});

const STORES: Record<string, () => Promise<SampleStore>> = {
  memory: () => Promise.resolve(new MemorySampleStore()),
  redis: () => RedisSampleStore.connect(redis.url, { keyPrefix: `e2e${prefix++}:` }),
};

/** A unique phone per call, so tests never collide in one store. */
let phoneSeq = 0;
function phone(): string {
  phoneSeq += 1;
  return `+1555${String(process.pid % 1000).padStart(3, "0")}${String(phoneSeq).padStart(4, "0")}`;
}

describe.each(Object.keys(STORES))("logistics system end to end (%s store)", (storeName) => {
  let store: SampleStore;
  const systems: SampleSystem[] = [];
  const extra: RunningService[] = [];

  beforeAll(async () => {
    store = await (STORES[storeName] as () => Promise<SampleStore>)();
    await seedSampleData(store);
  });
  afterAll(async () => {
    for (const s of extra) await s.stop();
    for (const s of systems) await s.stop();
    await store.close();
  });

  async function system(
    version: "v1" | "v2",
    api: Parameters<typeof startSampleSystem>[0]["api"] = {},
  ): Promise<SampleSystem> {
    const s = await startSampleSystem({
      store,
      logger,
      api,
      versions: {
        "logistics-api": version,
        "auth-service": version,
        "order-service": version,
        "item-service": version,
        "station-service": version,
      },
    });
    systems.push(s);
    return s;
  }

  it.each(["v1", "v2"] as const)(
    "runs a whole journey on %s only, every response naming its versions",
    async (v) => {
      const sys = await system(v);
      const api = new RestClient(sys.baseUrl);
      const senderPhone = phone();
      const receiverPhone = phone();
      const sender = await api.user(senderPhone, "Ann");
      const receiver = await api.user(receiverPhone, "Bob");
      const staff = await api.staff();

      const created = await api.send("POST", "/orders", {
        token: sender,
        body: RestClient.orderBody(receiverPhone),
      });
      expect(created.status).toBe(201);
      const order = created.body.order;
      expect(order).toMatchObject({
        state: "created",
        sender: { phone: senderPhone, name: "Ann" },
        goodsCents: 3000,
      });
      expect(order.feeRule).toBe(v === "v1" ? "flat/v1" : "per-unit/v2");
      expect(order.feeCents).toBe(v === "v1" ? 500 : 200 + 2 * 75);
      expect(created.body.servedBy).toEqual([
        `logistics-api@${v}`,
        `auth-service@${v}`,
        `order-service@${v}`,
        `item-service@${v}`,
        `station-service@${v}`,
      ]);
      expect(created.headers.get("x-served-by")).toBe(created.body.servedBy.join(","));

      for (const [stationId, direction] of [
        ["st-north", "in"],
        ["st-north", "out"],
        ["st-hub", "in"],
        ["st-hub", "out"],
      ]) {
        const s = await api.send("POST", `/orders/${order.id}/scan`, {
          token: staff,
          body: { stationId, direction },
        });
        expect(s.status, JSON.stringify(s.body)).toBe(200);
        expect(s.body.event).toMatchObject({
          orderId: order.id,
          stationId,
          direction,
          recordedBy: `station-service@${v}`,
        });
      }
      const rec = await api.send("POST", `/orders/${order.id}/receive`, { token: receiver });
      expect(rec.status, JSON.stringify(rec.body)).toBe(200);
      expect(rec.body.order.state).toBe("delivered");
      expect(rec.body.order.receipt.scheme).toBe(v === "v1" ? "hmac-sha256/v1" : "hmac-sha512/v2");

      const got = await api.send("GET", `/orders/${order.id}`, { token: sender });
      expect(got.status).toBe(200);
      expect(
        got.body.tracking.map(
          (e: { stationId: string; direction: string }) => `${e.stationId}:${e.direction}`,
        ),
      ).toEqual(["st-north:in", "st-north:out", "st-hub:in", "st-hub:out"]);
      expect(got.body.receipt).toMatchObject({ valid: true, signerPhone: receiverPhone });
      expect(mixedVersions(got.body.servedBy)).toEqual({});

      const list = await api.send("GET", `/users/${encodeURIComponent(receiverPhone)}/orders`, {
        token: receiver,
      });
      expect(list.status).toBe(200);
      expect(list.body.orders.map((o: { id: string }) => o.id)).toEqual([order.id]);

      const [items, stations] = await Promise.all([api.send("GET", "/items"), api.send("GET", "/stations")]);
      expect(items.body.items.find((i: { id: string }) => i.id === "item-tea")).toBeDefined();
      expect(stations.body.stations.map((s: { id: string }) => s.id)).toContain("st-hub");
    },
  );

  it.each([
    ["v1", "v2"],
    ["v2", "v1"],
  ] as const)(
    "fails a transaction whose challenge auth-service@%s issued and auth-service@%s verified, writing nothing",
    async (issuer, verifier) => {
      const base = await system("v1");
      const other = await launchService({
        name: "auth-service",
        version: verifier,
        store,
        upstreams: {},
        logger,
      });
      extra.push(other);
      const issuing =
        issuer === "v1"
          ? base.services["auth-service"]
          : await launchService({ name: "auth-service", version: issuer, store, upstreams: {}, logger });
      if (issuing !== base.services["auth-service"]) extra.push(issuing);
      // The seam: every auth call goes to the issuer, except the verification at the end.
      const api = await launchService({
        name: "logistics-api",
        version: "v1",
        store,
        logger,
        upstreams: {
          "auth-service": issuing.address,
          "order-service": base.services["order-service"].address,
          "item-service": base.services["item-service"].address,
          "station-service": base.services["station-service"].address,
        },
        methodUpstreams: { "auth-service/VerifyChallenge": other.address },
      });
      extra.push(api);
      const client = new RestClient(`http://${api.address}`);
      const senderPhone = phone();
      const token = await client.user(senderPhone);
      const stockBefore = (await store.getItem("item-tea"))?.stock;

      const res = await client.send("POST", "/orders", { token, body: RestClient.orderBody(phone()) });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe("ABORTED");
      expect(res.body.error.message).toContain("transaction served by two auth-service versions");
      expect(res.body.error.message).toContain(`issued by auth-service@${issuer}`);
      expect(mixedVersions(res.body.servedBy)).toEqual({ "auth-service": ["v1", "v2"] });
      expect(await store.listOrdersByPhone(senderPhone)).toEqual([]);
      expect((await store.getItem("item-tea"))?.stock).toBe(stockBefore);
    },
  );

  it("keeps tokens, orders and receipts working across versions in both directions", async () => {
    const one = new RestClient((await system("v1")).baseUrl);
    const two = new RestClient((await system("v2")).baseUrl);
    const staff1 = await one.staff();
    const staff2 = await two.staff();

    for (const [from, to, staffTo] of [
      [one, two, staff2],
      [two, one, staff1],
    ] as const) {
      const senderPhone = phone();
      const receiverPhone = phone();
      const senderToken = await from.user(senderPhone);
      const receiverToken = await from.user(receiverPhone);
      // A token issued by one version works on the other.
      const created = await to.send("POST", "/orders", {
        token: senderToken,
        body: RestClient.orderBody(receiverPhone),
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const id = created.body.order.id as string;
      // An order written by one version is read, scanned and received on the other.
      expect(
        (
          await from.send("POST", `/orders/${id}/scan`, {
            token: await from.staff(),
            body: { stationId: "st-hub", direction: "in" },
          })
        ).status,
      ).toBe(200);
      expect(
        (
          await to.send("POST", `/orders/${id}/scan`, {
            token: staffTo,
            body: { stationId: "st-hub", direction: "out" },
          })
        ).status,
      ).toBe(200);
      const rec = await from.send("POST", `/orders/${id}/receive`, { token: receiverToken });
      expect(rec.status, JSON.stringify(rec.body)).toBe(200);
      // A receipt signed by one version verifies on the other.
      const got = await to.send("GET", `/orders/${id}`, { token: senderToken });
      expect(got.status).toBe(200);
      expect(got.body.receipt.valid).toBe(true);
      expect(got.body.order.state).toBe("delivered");
      expect(got.body.tracking).toHaveLength(2);
      const list = await to.send("GET", `/users/${encodeURIComponent(senderPhone)}/orders`, {
        token: senderToken,
      });
      expect(list.body.orders.map((o: { id: string }) => o.id)).toEqual([id]);
    }
  });

  it("keeps fields a newer version wrote when an older one updates the record", async () => {
    const two = new RestClient((await system("v2")).baseUrl);
    const one = new RestClient((await system("v1")).baseUrl);
    const receiverPhone = phone();
    const created = await two.send("POST", "/orders", {
      token: await two.user(phone()),
      body: RestClient.orderBody(receiverPhone),
    });
    const id = created.body.order.id as string;
    expect((await store.getOrder(id))?.feeBreakdown).toEqual({ baseCents: 200, perUnitCents: 75, units: 2 });
    await one.send("POST", `/orders/${id}/scan`, {
      token: await one.staff(),
      body: { stationId: "st-hub", direction: "in" },
    });
    const after = await store.getOrder(id);
    expect(after?.state).toBe("at_station");
    expect(after?.feeBreakdown).toEqual({ baseCents: 200, perUnitCents: 75, units: 2 });
  });

  describe("bad input", () => {
    let api: RestClient;
    let token: string;
    let senderPhone: string;
    beforeAll(async () => {
      api = new RestClient((await system("v1")).baseUrl);
      senderPhone = phone();
      token = await api.user(senderPhone);
    });

    const receiverPhone = "+15559990000";
    it.each([
      ["no goods", { goods: [] }, undefined, 400, /at least one goods line/],
      [
        "quantity 0",
        { goods: [{ itemId: "item-tea", quantity: 0 }] },
        undefined,
        400,
        /quantity must be a whole number from 1/,
      ],
      ["negative quantity", { goods: [{ itemId: "item-tea", quantity: -3 }] }, undefined, 400, /quantity/],
      [
        "fractional quantity",
        { goods: [{ itemId: "item-tea", quantity: 1.5 }] },
        undefined,
        400,
        /whole number/,
      ],
      ["goods not a list", { goods: "tea" }, undefined, 400, /"goods" must be an array/],
      [
        "unknown item",
        { goods: [{ itemId: "item-nope", quantity: 1 }] },
        undefined,
        404,
        /item "item-nope" does not exist/,
      ],
      [
        "unknown station",
        { fromStationId: "st-nowhere" },
        undefined,
        404,
        /station "st-nowhere" does not exist/,
      ],
      [
        "bad receiver phone",
        { receiver: { phone: "12", name: "X" } },
        undefined,
        400,
        /receiver phone "12" is not a phone number/,
      ],
      ["missing token", {}, "", 401, /bearer token is required/],
      ["forged token", {}, "forged-token", 401, /unknown or expired/],
      [
        "more than the stock",
        {
          goods: [
            { itemId: "item-tea", quantity: 1000 },
            { itemId: "item-laptop", quantity: 1000 },
          ],
        },
        "low-stock",
        409,
        /in stock/,
      ],
    ])(
      "refuses an order with %s and writes nothing",
      async (_what, patch, tokenOverride, status, message) => {
        if (tokenOverride === "low-stock") {
          await store.putItem({ id: "item-laptop", name: "Laptop", priceCents: 89900, stock: 999 });
        }
        const before = await store.listItems();
        const body = { ...RestClient.orderBody(receiverPhone), ...patch };
        const useToken = tokenOverride === undefined || tokenOverride === "low-stock" ? token : tokenOverride;
        const res = await api.send("POST", "/orders", {
          body,
          ...(useToken === "" ? {} : { token: useToken }),
        });
        expect(res.status, JSON.stringify(res.body)).toBe(status);
        expect(res.body.error.message).toMatch(message);
        expect(res.body.servedBy[0]).toBe("logistics-api@v1");
        expect(await store.listOrdersByPhone(senderPhone)).toEqual([]);
        expect(await store.listOrdersByPhone(receiverPhone)).toEqual([]);
        expect(await store.listItems()).toEqual(before);
        if (tokenOverride === "low-stock")
          await store.putItem({ id: "item-laptop", name: "Laptop", priceCents: 89900, stock: 1_000_000 });
      },
    );

    it("refuses malformed JSON, unknown routes, duplicate users and wrong passwords clearly", async () => {
      const bad = await api.send("POST", "/orders", { token, body: "{not json" });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/not valid JSON/);
      expect((await api.send("GET", "/nowhere")).status).toBe(404);
      const dup = await api.send("POST", "/users", {
        body: { phone: senderPhone, name: "Again", password: "password1" },
      });
      expect(dup.status).toBe(409);
      expect(dup.body.error.message).toMatch(/already exists/);
      const wrong = await api.send("POST", "/sessions", {
        body: { phone: senderPhone, password: "wrong-password" },
      });
      expect(wrong.status).toBe(401);
      const badPhone = await api.send("POST", "/users", {
        body: { phone: "abc", name: "X", password: "password1" },
      });
      expect(badPhone.status).toBe(400);
      const slow = await api.send("POST", "/orders", {
        token,
        body: RestClient.orderBody(receiverPhone),
        headers: { "x-sample-delay-ms": "999999" },
      });
      expect(slow.status).toBe(400);
      expect(await store.listOrdersByPhone(senderPhone)).toEqual([]);
    });

    it("enforces who may scan, receive and read, and the parcel's life cycle", async () => {
      const receiverP = phone();
      const receiver = await api.user(receiverP);
      const staff = await api.staff();
      const stranger = await api.user(phone());
      const id = (await api.send("POST", "/orders", { token, body: RestClient.orderBody(receiverP) })).body
        .order.id as string;

      expect(
        (
          await api.send("POST", `/orders/${id}/scan`, {
            token,
            body: { stationId: "st-hub", direction: "in" },
          })
        ).status,
      ).toBe(403);
      expect((await api.send("POST", `/orders/${id}/receive`, { token: receiver })).status).toBe(409);
      expect(
        (
          await api.send("POST", `/orders/${id}/scan`, {
            token: staff,
            body: { stationId: "st-hub", direction: "out" },
          })
        ).status,
      ).toBe(409);
      expect(
        (
          await api.send("POST", `/orders/${id}/scan`, {
            token: staff,
            body: { stationId: "st-nope", direction: "in" },
          })
        ).status,
      ).toBe(404);
      expect(
        (
          await api.send("POST", `/orders/${id}/scan`, {
            token: staff,
            body: { stationId: "st-hub", direction: "sideways" },
          })
        ).status,
      ).toBe(400);
      expect(
        (
          await api.send("POST", `/orders/o-unknown/scan`, {
            token: staff,
            body: { stationId: "st-hub", direction: "in" },
          })
        ).status,
      ).toBe(404);
      expect(await store.listEvents(id)).toEqual([]);
      expect((await store.getOrder(id))?.state).toBe("created");

      expect(
        (
          await api.send("POST", `/orders/${id}/scan`, {
            token: staff,
            body: { stationId: "st-hub", direction: "in" },
          })
        ).status,
      ).toBe(200);
      const wrongStation = await api.send("POST", `/orders/${id}/scan`, {
        token: staff,
        body: { stationId: "st-west", direction: "out" },
      });
      expect(wrongStation.status).toBe(409);
      expect(wrongStation.body.error.message).toMatch(/at station st-hub, not st-west/);
      expect(await store.listEvents(id)).toHaveLength(1);

      expect((await api.send("POST", `/orders/${id}/receive`, { token })).status).toBe(403);
      expect((await api.send("GET", `/orders/${id}`, { token: stranger })).status).toBe(403);
      expect(
        (await api.send("GET", `/users/${encodeURIComponent(receiverP)}/orders`, { token: stranger })).status,
      ).toBe(403);
      expect((await api.send("GET", `/orders/${id}`, { token: staff })).status).toBe(200);
      expect((await api.send("POST", `/orders/${id}/receive`, { token: receiver })).status).toBe(200);
      expect((await api.send("POST", `/orders/${id}/receive`, { token: receiver })).status).toBe(409);
    });
  });
});
