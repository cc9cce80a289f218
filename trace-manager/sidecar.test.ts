import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { stat } from "node:fs/promises";
import { MemoryTraceStore } from "./store/memory.js";
import { startHarness, eventually, newTxnId, type Harness } from "./testing/harness.js";
import { alsEntry, alsMessage, checkRequest } from "./testing/envoy-messages.js";

const node = {
  id: "sidecar~10.44.2.55~reviews-v1-0.default~default.svc.cluster.local",
  cluster: "reviews.default",
};

describe("sidecar TraceManager over a Unix socket (messages encoded with Envoy's full protos)", () => {
  let store: MemoryTraceStore;
  let h: Harness;

  beforeAll(async () => {
    store = new MemoryTraceStore();
    h = await startHarness(
      { role: "sidecar", service: "reviews", version: "v1", pod: "reviews-v1-0" },
      { store },
    );
  });
  afterAll(async () => {
    await h.close();
    await store.close();
  });

  it("creates the socket with mode 0660", async () => {
    const s = await stat(h.config.socketPath);
    expect(s.isSocket()).toBe(true);
    expect(s.mode & 0o777).toBe(0o660);
  });

  it("records the call start durably before answering OK, and the inbound ALS entry ends it", async () => {
    const txn = newTxnId();
    const res = await h.check(checkRequest({ requestId: txn, traceId: "635187cb20d92f62377ba0cdc2334270" }));
    expect(res.status?.code ?? 0).toBe(0);
    expect(res.http_response).toBe("ok_response");
    expect(res.denied_response).toBeUndefined();
    // Durable before the reply: visible the moment the Check returned.
    const active = await store.activeTransactions("reviews", "v1", 10);
    expect(active.map((a) => a.txn)).toContain(txn);
    expect(active.find((a) => a.txn === txn)?.traceId).toBe("635187cb20d92f62377ba0cdc2334270");

    const als = h.openAls();
    als.write(
      alsMessage([alsEntry({ cluster: "inbound|8080||", requestId: txn, code: 200, grpcStatus: "0" })], node),
    );
    await als.end();
    await eventually(async () => (await store.activeAt("reviews", "v1")).calls === 0);
  });

  it("turns outbound entries into per-version samples (ok = code < 500 and grpc-status 0)", async () => {
    const als = h.openAls();
    als.write(
      alsMessage(
        [
          alsEntry({
            cluster: "outbound|80|v1|ratings.default.svc.cluster.local",
            requestId: newTxnId(),
            code: 200,
            grpcStatus: "0",
            durationMs: 4,
          }),
          alsEntry({
            cluster: "outbound|80|v1|ratings.default.svc.cluster.local",
            requestId: newTxnId(),
            code: 200,
            grpcStatus: "14",
            durationMs: 9,
          }),
          alsEntry({
            cluster: "outbound|80|v2|ratings.default.svc.cluster.local",
            requestId: newTxnId(),
            code: 503,
            durationMs: 2,
          }),
        ],
        node,
      ),
    );
    // A later message on the same stream carries no identifier, as Envoy sends it.
    als.write(
      alsMessage([
        alsEntry({ cluster: "outbound|80|v2|ratings.default.svc.cluster.local", code: 200, durationMs: 3 }),
      ]),
    );
    await als.end();
    await eventually(async () => (await store.versionStats("ratings", "v2", 0)).requests === 2);
    const v1 = await store.versionStats("ratings", "v1", 0);
    expect(v1).toMatchObject({ requests: 2, successes: 1 });
    expect((await store.versionStats("ratings", "v2", 0)).successes).toBe(1);
  });

  it("serves many concurrent ALS streams and Checks", async () => {
    const txns = Array.from({ length: 200 }, newTxnId);
    await Promise.all(txns.map((t) => h.check(checkRequest({ requestId: t }))));
    expect((await store.activeAt("reviews", "v1")).calls).toBe(200);
    const streams = Array.from({ length: 20 }, () => h.openAls());
    streams.forEach((s, i) => {
      s.write(
        alsMessage(
          txns
            .slice(i * 10, i * 10 + 10)
            .map((t) => alsEntry({ cluster: "inbound|8080||", requestId: t, code: 200 })),
          node,
        ),
      );
    });
    await Promise.all(streams.map((s) => s.end()));
    await eventually(async () => (await store.activeAt("reviews", "v1")).calls === 0);
  });

  it("counts and ignores Checks without a valid x-request-id (HttpRequest.id is not the txn id)", async () => {
    const before = (await store.activeAt("reviews", "v1")).calls;
    const res = await h.check(checkRequest({ streamId: "13869142855783664817" }));
    expect(res.http_response).toBe("ok_response");
    await h.check(checkRequest({ requestId: "not a valid id" }));
    await h.check(checkRequest({ requestId: "{reviews}:calls" }));
    expect((await store.activeAt("reviews", "v1")).calls).toBe(before);
    const metrics = await h.tm.metrics.registry.getSingleMetricAsString("tranquil_tm_ignored_inputs_total");
    // No x-request-id at all, a malformed one, and one shaped like a store key.
    expect(metrics).toMatch(/reason="invalid_txn_id"} 3/);
  });

  it("answers OK to an oversized header map and ignores it", async () => {
    const extraHeaders = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`x-h-${i}`, "v"]));
    const txn = newTxnId();
    const res = await h.check(checkRequest({ requestId: txn, extraHeaders }));
    expect(res.http_response).toBe("ok_response");
    expect((await store.activeTransactions("reviews", "v1", 1000)).some((a) => a.txn === txn)).toBe(false);
    const big = await h.check(
      checkRequest({ requestId: newTxnId(), extraHeaders: { "x-big": "a".repeat(70 * 1024) } }),
    );
    expect(big.http_response).toBe("ok_response");
    expect(await h.tm.metrics.registry.getSingleMetricAsString("tranquil_tm_ignored_inputs_total")).toMatch(
      /reason="oversized_headers"} 2/,
    );
  });

  it("reports the pod clean with an advancing watermark on heartbeat", async () => {
    const first = await h.tm.heartbeat();
    expect(first).toMatchObject({
      pod: "reviews-v1-0",
      role: "sidecar",
      service: "reviews",
      version: "v1",
      dirty: false,
      dirtyReasons: [],
    });
    await new Promise((r) => setTimeout(r, 30));
    const second = await h.tm.heartbeat();
    expect(second.watermark).toBeGreaterThan(first.watermark);
    expect(second.watermark).toBeLessThanOrEqual(second.heartbeatAt - h.config.watermarkLagMs);
    const pods = await store.pods();
    expect(pods.find((p) => p.pod === "reviews-v1-0")?.watermark).toBe(second.watermark);
  });

  it("serves /metrics, /healthz and /readyz", async () => {
    const base = `http://127.0.0.1:${h.tm.adminPort}`;
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    const body = await metrics.text();
    expect(body).toMatch(/tranquil_tm_checks_total\{role="sidecar",outcome="durable"\} \d+/);
    expect(body).toMatch(/tranquil_tm_records_written_total\{kind="call_start"\}/);
    // Every stream so far ended gracefully.
    expect(body).toMatch(/tranquil_tm_als_stream_errors_total 0/);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});
