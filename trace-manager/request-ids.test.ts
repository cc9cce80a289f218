import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { startTestRedis, type TestRedis } from "../test/support/redis-server.js";
import { pinRegexChunks } from "../controller/istio/routes/regex.js";
import { re2FullMatch } from "../istio/routing/regex.js";
import { RedisTraceStore } from "./store/redis.js";
import { startHarness, eventually, type Harness } from "./testing/harness.js";
import { alsEntry, alsMessage, checkRequest } from "./testing/envoy-messages.js";

/** Ids an application may set itself (ADR 0084): none is a UUID or plain hex. */
const APP_IDS = [
  "my-request-1",
  "My-Request-2",
  "Order_42.retry~1:2026-12-03T06:00:00Z@edge/eu+1=ok",
  "q".repeat(128),
] as const;

const sidecarNode = {
  id: "sidecar~10.44.2.55~reviews-v1-0.default~default.svc.cluster.local",
  cluster: "reviews.default",
};
const gatewayNode = {
  id: "router~10.44.0.9~gw-0.istio-system~istio-system.svc.cluster.local",
  cluster: "istio-ingressgateway.istio-system",
};

/** A counter's value for one label set, read from the text the admin HTTP serves at /metrics. */
function sample(body: string, name: string, labels: string): number | undefined {
  const line = body.split("\n").find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("x-request-ids an application sets itself, over the Envoy protocols with a real Redis", () => {
  let redis: TestRedis;
  let store: RedisTraceStore;
  let sidecar: Harness;
  let gateway: Harness;

  beforeAll(async () => {
    redis = await startTestRedis();
    store = new RedisTraceStore({ redis: redis.url, readyWaitMs: 200 });
    await store.putUpgrade({
      id: "up-ids",
      hosts: ["reviews"],
      weight: 0,
      watchEpochs: false,
      at: Date.now(),
    });
    sidecar = await startHarness(
      { role: "sidecar", service: "reviews", version: "v1", pod: "reviews-v1-0", watermarkLagMs: 0 },
      { store },
    );
    gateway = await startHarness(
      { role: "gateway", service: "ingressgateway", version: "gateway", pod: "gw-0", weightCacheMs: 50 },
      { store },
    );
  });
  afterAll(async () => {
    await sidecar.close();
    await gateway.close();
    await store.close();
    await redis.stop();
  });

  it("admits them at a sidecar, lists them verbatim for pinning, and their inbound ALS entries end the calls", async () => {
    for (const id of APP_IDS) {
      const res = await sidecar.check(checkRequest({ requestId: id }));
      expect(res.http_response).toBe("ok_response");
    }
    // Durable before each reply: the controller's pin candidates hold every id exactly as sent.
    const active = await store.activeTransactions("reviews", "v1", 100);
    expect(active.map((a) => a.txn).sort()).toEqual([...APP_IDS].sort());
    expect((await store.activeAt("reviews", "v1")).transactions).toBe(APP_IDS.length);

    // The pins the route planner writes for them match each header value, and only it (RE2 full match, case-sensitive).
    const chunks = pinRegexChunks(active.map((a) => a.txn));
    const pinned = (value: string): boolean => chunks.some((c) => re2FullMatch(c, value));
    for (const id of APP_IDS) expect(pinned(id)).toBe(true);
    for (const other of [
      "my-request-10",
      "MY-REQUEST-1",
      "my-request-2",
      "Order_42xretry~1:2026-12-03T06:00:00Z@edge/eu+1=ok",
    ])
      expect(pinned(other)).toBe(false);

    const als = sidecar.openAls();
    als.write(
      alsMessage(
        APP_IDS.map((id) =>
          alsEntry({ cluster: "inbound|8080||", requestId: id, code: 200, grpcStatus: "0" }),
        ),
        sidecarNode,
      ),
    );
    await als.end();
    await eventually(async () => (await store.activeAt("reviews", "v1")).calls === 0);
    const clamped = await sidecar.tm.metrics.registry.getSingleMetricAsString(
      "tranquil_tm_clamped_decrements_total",
    );
    expect(clamped).not.toMatch(/ [1-9]\d*$/m);
  });

  it("records an ingress start at a gateway under the id and its completion ends it", async () => {
    const id = "edge-order-7:retry=1";
    const res = await gateway.check(checkRequest({ requestId: id }));
    expect(res.http_response).toBe("ok_response");
    expect((await store.ingress("up-ids")).nonEnrolledInFlight).toBe(1);
    const als = gateway.openAls();
    als.write(
      alsMessage(
        [
          alsEntry({
            cluster: "outbound|9080|v1|reviews.default.svc.cluster.local",
            requestId: id,
            code: 200,
          }),
        ],
        gatewayNode,
      ),
    );
    await als.end();
    await eventually(async () => (await store.ingress("up-ids")).nonEnrolledInFlight === 0);
  });

  it("counts refused ids by reason in /metrics and reports them with the pod at the heartbeat", async () => {
    const before = await store.activeAt("reviews", "v1");
    const refused = [
      checkRequest({}),
      checkRequest({ requestId: "" }),
      checkRequest({ requestId: "r".repeat(129) }),
      checkRequest({ requestId: "two words" }),
      checkRequest({ requestId: "{reviews}:c:1" }),
      checkRequest({ requestId: "a,b" }),
    ];
    const t0 = Date.now();
    for (const req of refused) expect((await sidecar.check(req)).http_response).toBe("ok_response");
    // Refused ids are not tracked: nothing reached the store.
    expect(await store.activeAt("reviews", "v1")).toEqual(before);

    const body = await (await fetch(`http://127.0.0.1:${sidecar.tm.adminPort}/metrics`)).text();
    const name = "tranquil_tm_ignored_request_ids_total";
    expect(sample(body, name, 'reason="missing"')).toBe(1);
    expect(sample(body, name, 'reason="empty"')).toBe(1);
    expect(sample(body, name, 'reason="too_long"')).toBe(1);
    expect(sample(body, name, 'reason="unsafe_characters"')).toBe(3);
    // The older, coarser counter still counts them too.
    expect(sample(body, "tranquil_tm_ignored_inputs_total", 'reason="invalid_txn_id"')).toBe(6);

    const report = await sidecar.tm.heartbeat();
    expect(report.ignoredRequestIds?.total).toBe(6);
    expect(report.ignoredRequestIds?.lastAt).toBeGreaterThanOrEqual(t0);
    // The fact reaches the controller through the pod record in Redis.
    const stored = (await store.pods()).find((p) => p.pod === "reviews-v1-0");
    expect(stored?.ignoredRequestIds).toEqual(report.ignoredRequestIds);
    // A gateway that refused nothing reports a zero count.
    expect((await gateway.tm.heartbeat()).ignoredRequestIds).toEqual({ total: 0, lastAt: null });
  });
});
