import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { startTestRedis, type TestRedis } from "../test/support/redis-server.js";
import { RedisTraceStore } from "./store/redis.js";
import { startHarness, eventually, newTxnId, type Harness } from "./testing/harness.js";
import { alsEntry, alsMessage, checkRequest } from "./testing/envoy-messages.js";

/** Polls `fn` until it returns a value. */
async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  let found: T | undefined;
  await eventually(async () => (found = await fn()) !== undefined, timeoutMs, 100);
  if (found === undefined) throw new Error("unreachable: eventually resolved without a value");
  return found;
}

/** How long the store's loss keeps the pod dirty in this test (the controller's maxTransactionAge). */
const MAX_AGE_MS = 4_000;

describe("TraceManager with a real Redis that is killed and restarted empty mid-stream", () => {
  let redis: TestRedis;
  let store: RedisTraceStore;
  let h: Harness;

  beforeAll(async () => {
    redis = await startTestRedis();
    store = new RedisTraceStore({ redis: redis.url, readyWaitMs: 200 });
    h = await startHarness(
      {
        checkBudgetMs: 20,
        dirtyHoldMs: 200,
        watermarkLagMs: 0,
        bufferLimit: 10_000,
        maxTransactionAgeMs: MAX_AGE_MS,
      },
      { store },
    );
  });
  afterAll(async () => {
    await h.close();
    await store.close();
    await redis.stop();
  });

  it("keeps answering OK and buffers, writes everything to the new Redis, and never certifies the records the restart lost (G4)", async () => {
    const before = (await h.tm.heartbeat()).watermark;
    const als = h.openAls();
    const node = {
      id: "sidecar~10.0.0.1~reviews-v1-0.default~default.svc.cluster.local",
      cluster: "reviews.default",
    };
    const early = Array.from({ length: 20 }, newTxnId);
    await Promise.all(early.map((t) => h.check(checkRequest({ requestId: t }))));
    expect((await store.activeAt("reviews", "v1")).calls).toBe(20);

    await redis.kill();
    const during = Array.from({ length: 30 }, newTxnId);
    const replies = await Promise.all(during.map((t) => h.check(checkRequest({ requestId: t }))));
    expect(replies.every((r) => r.http_response === "ok_response")).toBe(true);
    // Completions of the first calls arrive on the open stream while Redis is down.
    als.write(
      alsMessage(
        early.slice(0, 10).map((t) => alsEntry({ cluster: "inbound|8080||", requestId: t, code: 200 })),
        node,
      ),
    );
    const dirty = await h.tm.heartbeat();
    expect(dirty.dirty).toBe(true);
    // Frozen at the last certified value, from before the outage.
    expect(dirty.watermark).toBe(before);

    await redis.start();
    // The restarted Redis is empty: what was buffered (30 starts, 10 ends) arrives; nothing was dropped.
    await eventually(
      async () => {
        try {
          return (await store.activeAt("reviews", "v1")).calls === 30;
        } catch {
          return false;
        }
      },
      15_000,
      100,
    );
    const dropped = await h.tm.metrics.registry.getSingleMetricAsString("tranquil_tm_records_dropped_total");
    expect(dropped).not.toMatch(/kind="call_start"} [1-9]/);
    // But the 10 calls of `early` still open are gone with the old data set: the pod says so, as the
    // controller reads it from the store, and its watermark stays where it was before the outage.
    const lost = await waitFor(async () => {
      await h.tm.heartbeat();
      const seen = (await store.pods()).find((p) => p.pod === "reviews-v1-0");
      return seen?.dirtyReasons.includes("store-lost-records") === true ? seen : undefined;
    }, 10_000);
    expect(lost.dirty).toBe(true);
    expect(lost.watermark).toBe(dirty.watermark);
    expect(lost.heldUntil).toBeGreaterThan(lost.heartbeatAt + MAX_AGE_MS - 2_000);
    // Dirty for maxTransactionAge after the loss was seen, not less: every transaction whose records
    // could be missing is older than that by then.
    const seenAt = Date.now();
    const clean = await waitFor(async () => {
      const r = await h.tm.heartbeat();
      return r.dirty ? undefined : r;
    }, 15_000);
    expect(Date.now() - seenAt).toBeGreaterThanOrEqual(MAX_AGE_MS - 1_500);
    expect(clean.watermark).toBeGreaterThan(dirty.watermark);
    await als.end();
  });
});
