import {
  Client,
  credentials,
  Metadata,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
} from "@grpc/grpc-js";
import { HOLD_HEADER, transactionHolds } from "./api/transaction-holds.js";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { healthDefinition, serviceDefinition } from "./grpc/protos.js";
import { UpstreamPool } from "./grpc/upstreams.js";
import { launchService, type RunningService } from "./launch.js";
import { TRACE_HEADERS } from "./propagation.js";
import { ServedBy } from "./served-by.js";
import { MemorySampleStore } from "./store/memory-store.js";
import { seedSampleData } from "./store/seed.js";
import { startSampleSystem, type SampleSystem } from "./system.js";

const logger = pino({ level: "silent" });
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function seededStore(): Promise<MemorySampleStore> {
  const store = new MemorySampleStore();
  await seedSampleData(store);
  return store;
}

async function launched(opts: Parameters<typeof launchService>[0]): Promise<RunningService> {
  const s = await launchService({ logger, ...opts });
  cleanup.push(() => s.stop());
  return s;
}

async function system(opts: Partial<Parameters<typeof startSampleSystem>[0]> = {}): Promise<SampleSystem> {
  const s = await startSampleSystem({ store: await seededStore(), logger, ...opts });
  cleanup.push(() => s.stop());
  return s;
}

/** A stand-in ItemService that records what each call carried. */
async function capturingItemService(): Promise<{
  address: string;
  calls: { metadata: Metadata; host: string }[];
}> {
  const calls: { metadata: Metadata; host: string }[] = [];
  const server = new Server();
  const reply =
    (items: object[]) =>
    (call: ServerUnaryCall<unknown, object>, cb: sendUnaryData<object>): void => {
      calls.push({ metadata: call.metadata, host: call.getHost() });
      const md = new Metadata();
      md.set("x-served-by", "item-service@capture");
      cb(null, { items }, md);
    };
  const item = { id: "item-tea", name: "Tea", priceCents: 100, stock: 5 };
  server.addService(serviceDefinition("item-service"), {
    ListItems: reply([item]),
    GetItems: reply([item]),
    ReserveStock: reply([]),
    ReleaseStock: reply([]),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  cleanup.push(() => new Promise((resolve) => server.tryShutdown(() => resolve())));
  return { address: `127.0.0.1:${port}`, calls };
}

function grpcHealth(address: string, service = ""): Promise<string> {
  const client = new Client(address, credentials.createInsecure());
  const def = healthDefinition().Check;
  if (def === undefined) throw new Error("no Check");
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      def.path,
      def.requestSerialize,
      def.responseDeserialize,
      { service },
      (err: Error | null, res?: { status: string }) => {
        client.close();
        if (err) reject(err);
        else resolve(res?.status ?? "");
      },
    );
  });
}

const INCOMING = {
  "x-request-id": "req-123",
  "x-b3-traceid": "80f198ee56343ba864fe8b2a57d3eff7",
  "x-b3-spanid": "e457b5a2e4d86bd1",
  "x-b3-parentspanid": "05e3ac9a4f6e3b90",
  "x-b3-sampled": "1",
  "x-b3-flags": "1",
  b3: "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1",
  traceparent: "00-80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-01",
  tracestate: "vendor=x",
  baggage: "user=ann",
} as const;

describe("launchService", () => {
  it("forwards trace and enrolment headers from HTTP to gRPC, dialing with the upstream's name as :authority", async () => {
    const capture = await capturingItemService();
    const api = await launched({
      name: "logistics-api",
      version: "v1",
      store: await seededStore(),
      upstreams: { "item-service": capture.address },
      enrolmentHeader: "X-My-Release",
    });
    const res = await fetch(`http://${api.address}/items`, {
      headers: { ...INCOMING, "x-my-release": "up-1", "x-other": "no" },
    });
    const body = (await res.json()) as { servedBy: string[] };
    expect(res.status).toBe(200);
    expect(body.servedBy).toEqual(["logistics-api@v1", "item-service@capture"]);
    const call = capture.calls[0];
    expect(call?.host).toBe("item-service");
    for (const name of TRACE_HEADERS) expect(call?.metadata.get(name), name).toEqual([INCOMING[name]]);
    expect(call?.metadata.get("x-my-release")).toEqual(["up-1"]);
    expect(call?.metadata.get("x-other")).toEqual([]);
  });

  it("mints an x-request-id when none came in, and forwards gRPC to gRPC", async () => {
    const store = await seededStore();
    const capture = await capturingItemService();
    const station = await launched({ name: "station-service", version: "v1", store, upstreams: {} });
    const order = await launched({
      name: "order-service",
      version: "v2",
      store,
      upstreams: { "item-service": capture.address, "station-service": station.address },
    });
    const pool = new UpstreamPool({ upstreams: { "order-service": order.address } });
    cleanup.push(() => Promise.resolve(pool.close()));
    const servedBy = new ServedBy();
    await pool.call(
      "order-service",
      "CreateOrder",
      {
        sender: { phone: "+15551110000", name: "A" },
        receiver: { phone: "+15552220000", name: "B" },
        goods: [{ itemId: "item-tea", quantity: 1 }],
        fromStationId: "st-hub",
        toStationId: "st-west",
        validateOnly: true,
      },
      { "x-request-id": "grpc-req", "x-tranquil-release": "r1", traceparent: INCOMING.traceparent },
      servedBy,
    );
    expect(servedBy.list()).toEqual(["order-service@v2", "item-service@capture", "station-service@v1"]);
    expect(capture.calls[0]?.host).toBe("item-service");
    expect(capture.calls[0]?.metadata.get("x-request-id")).toEqual(["grpc-req"]);
    expect(capture.calls[0]?.metadata.get("x-tranquil-release")).toEqual(["r1"]);
    expect(capture.calls[0]?.metadata.get("traceparent")).toEqual([INCOMING.traceparent]);

    const api = await launched({
      name: "logistics-api",
      version: "v1",
      store,
      upstreams: { "item-service": capture.address },
    });
    const res = await fetch(`http://${api.address}/items`);
    const minted = res.headers.get("x-request-id");
    expect(minted).toMatch(/^[0-9a-f-]{36}$/);
    expect(capture.calls[1]?.metadata.get("x-request-id")).toEqual([minted]);
  });

  it("counts only application calls in lastServedAt, inFlight and metrics, and serves health and metrics", async () => {
    const item = await launched({
      name: "item-service",
      version: "v3",
      store: await seededStore(),
      upstreams: {},
      adminPort: 0,
    });
    expect(item.protocol).toBe("grpc");
    expect(await grpcHealth(item.address)).toBe("SERVING");
    expect(await grpcHealth(item.address, "tranquil.sample.item.ItemService")).toBe("SERVING");
    await expect(grpcHealth(item.address, "nope")).rejects.toThrow(/unknown service/);
    const health = async (): Promise<{ lastServedAt: number | null; inFlight: number }> =>
      (await (await fetch(`http://${item.adminAddress ?? ""}/healthz`)).json()) as {
        lastServedAt: number | null;
        inFlight: number;
      };
    await fetch(`http://${item.adminAddress ?? ""}/metrics`);
    expect(item.lastServedAt()).toBeNull();
    expect((await health()).lastServedAt).toBeNull();

    const before = Date.now();
    const pool = new UpstreamPool({ upstreams: { "item-service": item.address } });
    cleanup.push(() => Promise.resolve(pool.close()));
    await pool.call("item-service", "ListItems", {}, {}, new ServedBy());
    await expect(
      pool.call("item-service", "GetItems", { ids: ["nope"] }, {}, new ServedBy()),
    ).rejects.toThrow(/"nope" does not exist/);
    expect(item.lastServedAt()).toBeGreaterThanOrEqual(before);
    expect(item.inFlight()).toBe(0);
    expect((await health()).lastServedAt).toBe(item.lastServedAt());

    const text = await (await fetch(`http://${item.adminAddress ?? ""}/metrics`)).text();
    expect(text).toMatch(
      /tranquil_sample_requests_total\{method="ListItems",code="OK",version="v3",service="item-service"\} 1/,
    );
    expect(text).toMatch(
      /tranquil_sample_requests_total\{method="GetItems",code="NOT_FOUND",version="v3",service="item-service"\} 1/,
    );
    expect(text).toMatch(/tranquil_sample_request_duration_seconds_count\{[^}]*method="ListItems"/);
    expect(text).toMatch(/tranquil_sample_in_flight_requests\{service="item-service",version="v3"\} 0/);
    expect(text).not.toMatch(/method="Check"/);
    expect(await item.metrics()).toContain("tranquil_sample_last_served_timestamp_seconds");
  });

  it("stops gracefully: a transaction in flight finishes, then the port closes", async () => {
    const sys = await system({ versions: { "auth-service": "v2" } });
    const api = sys.services["logistics-api"];
    const reg = await fetch(`${sys.baseUrl}/users`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ phone: "+15551112222", name: "Ann", password: "password1" }),
    });
    expect(reg.status).toBe(201);
    const login = (await (
      await fetch(`${sys.baseUrl}/sessions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ phone: "+15551112222", password: "password1" }),
      })
    ).json()) as { token: string };
    const slow = fetch(`${sys.baseUrl}/orders`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${login.token}`,
        "x-sample-delay-ms": "500",
      },
      body: JSON.stringify({
        receiver: { phone: "+15553334444", name: "Bob" },
        goods: [{ itemId: "item-tea", quantity: 1 }],
        fromStationId: "st-hub",
        toStationId: "st-west",
      }),
    });
    while (api.inFlight() === 0) await new Promise((r) => setTimeout(r, 10));
    const h = (await (await fetch(`${sys.baseUrl}/healthz`)).json()) as {
      inFlight: number;
      lastServedAt: number;
    };
    expect(h.inFlight).toBe(1);
    expect(sys.services["auth-service"].lastServedAt()).not.toBeNull();
    const stopped = api.stop();
    const res = await slow;
    expect(res.status).toBe(201);
    await stopped;
    expect(api.inFlight()).toBe(0);
    await expect(fetch(`${sys.baseUrl}/items`)).rejects.toThrow();
  });

  it("holds a transaction mid-way until it is released by name, and refuses a bad hold name", async () => {
    const sys = await system({ versions: { "auth-service": "v2" } });
    const json = { "content-type": "application/json" };
    await fetch(`${sys.baseUrl}/users`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ phone: "+15551113333", name: "Cy", password: "password1" }),
    });
    const { token } = (await (
      await fetch(`${sys.baseUrl}/sessions`, {
        method: "POST",
        headers: json,
        body: JSON.stringify({ phone: "+15551113333", password: "password1" }),
      })
    ).json()) as { token: string };
    const order = (hold: string) =>
      fetch(`${sys.baseUrl}/orders`, {
        method: "POST",
        headers: { ...json, authorization: `Bearer ${token}`, [HOLD_HEADER]: hold },
        body: JSON.stringify({
          receiver: { phone: "+15553334444", name: "Bob" },
          goods: [{ itemId: "item-tea", quantity: 1 }],
          fromStationId: "st-hub",
          toStationId: "st-west",
        }),
      });
    const held = order("launch-test-hold");
    let settled = false;
    void held.finally(() => (settled = true));
    while (transactionHolds.held("launch-test-hold") === undefined)
      await new Promise((r) => setTimeout(r, 10));
    // Held after its first auth-service call, and it stays held.
    expect(transactionHolds.held("launch-test-hold")).toEqual(
      expect.arrayContaining(["logistics-api@v1", "auth-service@v2"]),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false);
    transactionHolds.release("launch-test-hold");
    expect((await held).status).toBe(201);
    expect(transactionHolds.held("launch-test-hold")).toBeUndefined();
    const bad = await order("not a name!");
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain(
      "x-sample-hold must be 1 to 64 letters, digits or dashes",
    );
  });

  it("drains a gRPC service: NOT_SERVING on its health surface while the last call finishes", async () => {
    const item = await launched({
      name: "item-service",
      version: "v1",
      store: await seededStore(),
      upstreams: {},
      adminPort: 0,
      faults: { extraLatencyMs: 400 },
    });
    const pool = new UpstreamPool({ upstreams: { "item-service": item.address } });
    cleanup.push(() => Promise.resolve(pool.close()));
    const call = pool.call<{ items: unknown[] }>("item-service", "ListItems", {}, {}, new ServedBy());
    while (item.inFlight() === 0) await new Promise((r) => setTimeout(r, 10));
    const stopped = item.stop();
    expect((await fetch(`http://${item.adminAddress ?? ""}/healthz`)).status).toBe(503);
    expect((await call).items.length).toBeGreaterThan(0);
    await stopped;
  });

  it("streams health changes to Watch until the service stops", async () => {
    const item = await launched({
      name: "item-service",
      version: "v1",
      store: await seededStore(),
      upstreams: {},
    });
    const def = healthDefinition().Watch;
    if (def === undefined) throw new Error("no Watch");
    const client = new Client(item.address, credentials.createInsecure());
    cleanup.push(() => Promise.resolve(client.close()));
    const statuses: string[] = [];
    const stream = client.makeServerStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, {
      service: "",
    });
    const ended = new Promise<void>((resolve) => {
      stream.on("data", (m: { status: string }) => statuses.push(m.status));
      stream.on("end", () => resolve());
      stream.on("error", () => resolve());
    });
    while (statuses.length === 0) await new Promise((r) => setTimeout(r, 10));
    await item.stop();
    await ended;
    expect(statuses).toEqual(["SERVING", "NOT_SERVING"]);
  });

  it("answers 503 naming the upstream when it is down or not configured", async () => {
    const api = await launched({
      name: "logistics-api",
      version: "v1",
      store: await seededStore(),
      upstreams: { "auth-service": "127.0.0.1:1" },
    });
    const login = await fetch(`http://${api.address}/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ phone: "+15551110000", password: "password1" }),
    });
    expect(login.status).toBe(503);
    const body = (await login.json()) as { error: { message: string }; servedBy: string[] };
    expect(body.error.message).toMatch(/^auth-service\.Login at 127\.0\.0\.1:1 failed with UNAVAILABLE/);
    expect(body.servedBy).toEqual(["logistics-api@v1"]);
    const items = await fetch(`http://${api.address}/items`);
    expect(items.status).toBe(503);
    expect(((await items.json()) as { error: { message: string } }).error.message).toMatch(
      /no address configured for upstream item-service \(set UPSTREAM_ITEM_SERVICE\)/,
    );
  });

  it("injects faults for a bad release", async () => {
    const sys = await system({ api: { faults: { errorRate: 1 } } });
    const res = await fetch(`${sys.baseUrl}/items`);
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/injected fault/);
  });
});
