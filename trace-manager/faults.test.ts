import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { connect } from "node:net";
import {
  credentials,
  makeGenericClientConstructor,
  type Client,
  type ClientWritableStream,
} from "@grpc/grpc-js";
import { loadFullEnvoyProtos } from "./testing/full-envoy-protos.js";
import { MemoryTraceStore } from "./store/memory.js";
import { startHarness, eventually, newTxnId, type Harness } from "./testing/harness.js";
import { alsEntry, alsMessage, checkRequest } from "./testing/envoy-messages.js";
import { faultyStore } from "./testing/faulty-store.js";
import { ENVOY_METHOD_PATHS } from "./proto/load.js";

async function metric(h: Harness, name: string): Promise<string> {
  return h.tm.metrics.registry.getSingleMetricAsString(name);
}

/** A client that sends raw bytes as the Check request (a malformed protobuf from a broken proxy). */
function rawCheckClient(
  socketPath: string,
): Client & { Check(req: Buffer, cb: (err: Error | null, res: Buffer) => void): void } {
  const Ctor = makeGenericClientConstructor(
    {
      Check: {
        path: ENVOY_METHOD_PATHS.check,
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
      },
    },
    "Authorization",
  );
  return new Ctor(`unix:${socketPath}`, credentials.createInsecure()) as unknown as Client & {
    Check(req: Buffer, cb: (err: Error | null, res: Buffer) => void): void;
  };
}

/** A client that streams raw bytes as ALS messages. */
function rawAlsClient(
  socketPath: string,
): Client & { StreamAccessLogs(cb: (err: Error | null) => void): ClientWritableStream<Buffer> } {
  const identity = (b: Buffer): Buffer => b;
  const Ctor = makeGenericClientConstructor(
    {
      StreamAccessLogs: {
        path: ENVOY_METHOD_PATHS.streamAccessLogs,
        requestStream: true,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    "AccessLogService",
  );
  return new Ctor(`unix:${socketPath}`, credentials.createInsecure()) as unknown as Client & {
    StreamAccessLogs(cb: (err: Error | null) => void): ClientWritableStream<Buffer>;
  };
}

describe("TraceManager faults and bad input", () => {
  let inner: MemoryTraceStore;
  let store: ReturnType<typeof faultyStore>;
  let h: Harness;

  beforeEach(async () => {
    inner = new MemoryTraceStore();
    store = faultyStore(inner);
    h = await startHarness(
      { checkBudgetMs: 20, dirtyHoldMs: 100, bufferLimit: 50, watermarkLagMs: 0 },
      { store },
    );
  });
  afterEach(async () => {
    await h.close();
    await inner.close();
  });

  it("survives garbage bytes on the socket and keeps serving", async () => {
    for (const garbage of [
      Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
      Buffer.alloc(4096, 0xff),
      Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x04\x08\x00"),
    ]) {
      await new Promise<void>((resolve) => {
        const sock = connect(h.config.socketPath, () => {
          sock.end(garbage);
        });
        sock.on("error", () => resolve());
        sock.on("close", () => resolve());
        sock.resume();
      });
    }
    const txn = newTxnId();
    expect((await h.check(checkRequest({ requestId: txn }))).http_response).toBe("ok_response");
    expect((await inner.activeTransactions("reviews", "v1", 10)).some((a) => a.txn === txn)).toBe(true);
  });

  it("answers OK to a malformed protobuf Check and counts it", async () => {
    const raw = rawCheckClient(h.config.socketPath);
    const reply = await new Promise<Buffer>((resolve, reject) => {
      raw.Check(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]), (err, res) =>
        err ? reject(err) : resolve(res),
      );
    });
    raw.close();
    // CheckResponse{status{}, ok_response{}}: OK, never a denial.
    expect(reply.length).toBeGreaterThan(0);
    expect(await metric(h, "tranquil_tm_ignored_inputs_total")).toMatch(/reason="malformed_message"} 1/);
  });

  it("a reset ALS stream keeps what it had received, closes cleanly and the server keeps serving", async () => {
    const txn = newTxnId();
    await h.check(checkRequest({ requestId: txn }));
    const als = h.openAls();
    als.write(
      alsMessage([alsEntry({ cluster: "inbound|8080||", requestId: txn, code: 200 })], {
        id: "sidecar~x",
        cluster: "reviews.default",
      }),
    );
    await eventually(async () => (await inner.activeAt("reviews", "v1")).calls === 0);
    als.cancel();
    await eventually(async () => /als_streams_open 0/.test(await metric(h, "tranquil_tm_als_streams_open")));
    expect((await h.check(checkRequest({ requestId: newTxnId() }))).http_response).toBe("ok_response");
  });

  it("counts a malformed message inside an ALS stream and reads the next one", async () => {
    const raw = rawAlsClient(h.config.socketPath);
    const full = loadFullEnvoyProtos();
    const txn = newTxnId();
    await h.check(checkRequest({ requestId: txn }));
    await new Promise<void>((resolve, reject) => {
      const stream = raw.StreamAccessLogs((err) => (err ? reject(err) : resolve()));
      stream.write(Buffer.from([0x12, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x0a]));
      stream.write(
        full.streamAccessLogs.requestSerialize(
          alsMessage([alsEntry({ cluster: "inbound|8080||", requestId: txn, code: 200 })]),
        ),
      );
      stream.end();
    });
    await eventually(async () => (await inner.activeAt("reviews", "v1")).calls === 0);
    expect(await metric(h, "tranquil_tm_ignored_inputs_total")).toMatch(/reason="malformed_message"} 1/);
    raw.close();
  });

  it("a decrement before its increment is clamped and makes the pod dirty", async () => {
    const als = h.openAls();
    als.write(
      alsMessage([alsEntry({ cluster: "inbound|8080||", requestId: newTxnId(), code: 200 })], {
        id: "sidecar~x",
        cluster: "reviews.default",
      }),
    );
    await als.end();
    await eventually(async () =>
      /clamped_decrements_total\{kind="call_end"\} 1/.test(
        await metric(h, "tranquil_tm_clamped_decrements_total"),
      ),
    );
    const report = await h.tm.heartbeat();
    expect(report.dirty).toBe(true);
    expect(report.dirtyReasons).toContain("counter-clamped");
  });

  it("a slow store: Check answers within the budget, the pod turns dirty, W stops, then clean and W resumes", async () => {
    const clean = await h.tm.heartbeat();
    expect(clean.dirty).toBe(false);
    store.delayMs = 2000;
    const txn = newTxnId();
    const t0 = Date.now();
    const res = await h.check(checkRequest({ requestId: txn }));
    // The budget is 20 ms; the slack is for a busy shared machine, still far below the store's 2 s.
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(res.http_response).toBe("ok_response");
    const dirty = await h.tm.heartbeat();
    expect(dirty.dirty).toBe(true);
    expect(dirty.dirtyReasons).toEqual(expect.arrayContaining(["check-late"]));
    expect(dirty.watermark).toBe(clean.watermark);
    store.delayMs = 0;
    // The late record still lands (retried or completed), and once the hold passes the pod is clean.
    await eventually(async () =>
      (await inner.activeTransactions("reviews", "v1", 10)).some((a) => a.txn === txn),
    );
    await eventually(async () => !(await h.tm.heartbeat()).dirty, 5000, 50);
    const after = await h.tm.heartbeat();
    expect(after.watermark).toBeGreaterThan(clean.watermark);
  });

  it("a store outage: traffic unaffected, records buffered and retried, overflow dropped and counted", async () => {
    store.down = true;
    const txns = Array.from({ length: 80 }, newTxnId);
    const replies = await Promise.all(txns.map((t) => h.check(checkRequest({ requestId: t }))));
    expect(replies.every((r) => r.http_response === "ok_response")).toBe(true);
    const report = await h.tm.heartbeat();
    expect(report.dirty).toBe(true);
    expect(report.dirtyReasons).toEqual(expect.arrayContaining(["store-error", "backlog"]));
    const dropped = Number(
      /kind="call_start"} (\d+)/.exec(await metric(h, "tranquil_tm_records_dropped_total"))?.[1] ?? "0",
    );
    expect(dropped).toBeGreaterThan(0);
    store.down = false;
    // Everything not dropped arrives; nothing is lost beyond what was counted.
    await eventually(async () => (await inner.activeAt("reviews", "v1")).calls === 80 - dropped, 10_000, 50);
    await eventually(async () => !(await h.tm.heartbeat()).dirty, 5000, 50);
  });
});
