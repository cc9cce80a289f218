/**
 * Inputs far beyond their bounds over real gRPC: a 100 KB order id is refused with
 * INVALID_ARGUMENT and a short message, and the channel goes on serving. (Echoed whole, it
 * would go into the grpc-message trailer, past what an HTTP/2 header block may carry: the call
 * fails without its status, and through a proxy it never completes and the channel hangs.)
 * logistics-api refuses such ids and phones in its paths with 400 and bounds what it echoes.
 */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code } from "../grpc/errors.js";
import type { OrderReply } from "../grpc/messages.js";
import { UpstreamPool } from "../grpc/upstreams.js";
import { launchService, type RunningService } from "../launch.js";
import { ServedBy } from "../served-by.js";
import { MemorySampleStore } from "../store/memory-store.js";
import { seedSampleData } from "../store/seed.js";
import { startSampleSystem, type SampleSystem } from "../system.js";

const logger = pino({ level: "silent" });
const LONG = "x".repeat(100 * 1024);

describe("echoed inputs stay bounded on the sample services' gRPC", () => {
  const running: RunningService[] = [];
  const store = new MemorySampleStore();
  let pool: UpstreamPool;
  let orderId: string;

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
    const order = await launchService({ name: "order-service", version: "v1", store, upstreams, logger });
    running.push(order);
    // A short deadline: a call that hangs fails the test instead of stalling it.
    pool = new UpstreamPool({
      upstreams: { ...upstreams, "order-service": order.address },
      callTimeoutMs: 5_000,
    });
    const created = await pool.call<OrderReply>(
      "order-service",
      "CreateOrder",
      {
        sender: { phone: "+15551110000", name: "A" },
        receiver: { phone: "+15552220000", name: "B" },
        goods: [{ itemId: "item-tea", quantity: 1 }],
        fromStationId: "st-hub",
        toStationId: "st-west",
      },
      {},
      new ServedBy(),
    );
    orderId = created.order!.id;
  });
  afterAll(async () => {
    pool.close();
    for (const s of running.reverse()) await s.stop();
  });

  const call = (
    service: "order-service" | "item-service" | "station-service",
    method: string,
    request: object,
  ) => pool.call<unknown>(service, method, request, {}, new ServedBy());

  it("refuses a 100 KB order id with INVALID_ARGUMENT, and the next call on the channel succeeds", async () => {
    const refused = await call("order-service", "GetSpecificOrder", { orderId: LONG }).then(
      () => undefined,
      (err: unknown) => err as { code: number; message: string },
    );
    expect(refused?.code).toBe(Code.INVALID_ARGUMENT);
    expect(refused?.message).toMatch(/^order id "x+…" is not valid: 1 to 64 letters, digits, '-' or '_'$/);
    expect(refused!.message.length).toBeLessThan(200);

    const read = (await call("order-service", "GetSpecificOrder", { orderId })) as OrderReply;
    expect(read.order?.id).toBe(orderId);
  });

  it.each([
    ["order-service", "UpdateOrderState", { orderId: LONG, action: "receive", stationId: "" }],
    [
      "order-service",
      "CreateOrder",
      {
        sender: { phone: "+15551110000", name: "A" },
        receiver: { phone: "+15552220000", name: "B" },
        goods: [{ itemId: LONG, quantity: 1 }],
        fromStationId: "st-hub",
        toStationId: "st-west",
      },
    ],
    ["order-service", "GetOrderList", { phone: LONG }],
    ["item-service", "GetItems", { ids: [LONG] }],
    ["station-service", "GetStations", { ids: [LONG] }],
    ["station-service", "ListEvents", { orderId: LONG }],
    [
      "station-service",
      "RecordScan",
      { orderId: "o-1", stationId: LONG, direction: "in", staffPhone: "+15553330000" },
    ],
  ] as const)("%s.%s refuses a 100 KB input with a short message", async (service, method, request) => {
    const refused = await call(service, method, request).then(
      () => undefined,
      (err: unknown) => err as { code: number; message: string },
    );
    expect(refused?.code).toBe(Code.INVALID_ARGUMENT);
    expect(refused!.message.length).toBeLessThan(300);
    expect(((await call("order-service", "GetSpecificOrder", { orderId })) as OrderReply).order?.id).toBe(
      orderId,
    );
  });
});

describe("echoed inputs stay bounded on logistics-api (HTTP)", () => {
  let sys: SampleSystem;
  let token: string;
  beforeAll(async () => {
    const store = new MemorySampleStore();
    await seedSampleData(store);
    sys = await startSampleSystem({ store, logger });
    const json = { "content-type": "application/json" };
    const user = { phone: "+15554445555", name: "Ann", password: "password1" };
    expect(
      (await fetch(`${sys.baseUrl}/users`, { method: "POST", headers: json, body: JSON.stringify(user) }))
        .status,
    ).toBe(201);
    const login = await fetch(`${sys.baseUrl}/sessions`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ phone: user.phone, password: user.password }),
    });
    token = ((await login.json()) as { token: string }).token;
  });
  afterAll(async () => {
    await sys.stop();
  });

  const errorOf = async (res: Response): Promise<{ code: string; message: string }> =>
    ((await res.json()) as { error: { code: string; message: string } }).error;
  const auth = () => ({ authorization: `Bearer ${token}` });

  it("refuses an order id of another shape at the entry with 400 and a short message", async () => {
    const res = await fetch(`${sys.baseUrl}/orders/${"x".repeat(8 * 1024)}`, { headers: auth() });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe("INVALID_ARGUMENT");
    expect(error.message).toMatch(/^order id "x+…" is not valid: 1 to 64 letters/);
    expect(error.message.length).toBeLessThan(200);
  });

  it("refuses a phone of another shape in the path with 400, before any lookup", async () => {
    const res = await fetch(`${sys.baseUrl}/users/${"9".repeat(4096)}/orders`, { headers: auth() });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message.length).toBeLessThan(200);
  });

  it("bounds a 32 KB phone echoed back from auth-service, and an unknown long path", async () => {
    const res = await fetch(`${sys.baseUrl}/users`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ phone: "x".repeat(32 * 1024), name: "Ann", password: "password1" }),
    });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message.length).toBeLessThan(200);
    const unknown = await fetch(`${sys.baseUrl}/${"p".repeat(8 * 1024)}`);
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).message.length).toBeLessThan(200);
    // The services go on answering.
    expect((await fetch(`${sys.baseUrl}/items`)).status).toBe(200);
  });
});
