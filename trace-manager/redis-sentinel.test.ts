import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { startSentinelGroup, type TestSentinelGroup } from "../test/support/redis-sentinel.js";
import { RedisTraceStore } from "./store/redis.js";
import { startHarness, eventually, newTxnId, type Harness } from "./testing/harness.js";
import { checkRequest } from "./testing/envoy-messages.js";
import { expectLossHeld, lossReported, reportTrail } from "./testing/failover-grading.js";

const MAX_AGE_MS = 5_000;
const POD = "reviews-v1-0";

/**
 * G4 with Redis Sentinel: the master is killed mid-traffic and a replica, which may lack the last
 * writes (replication is asynchronous), is promoted. The TraceManager must follow the new master
 * and must never certify the loss window away. Graded from a second store client, as the
 * controller reads the pod's reports.
 */
describe("a TraceManager on Redis Sentinel when the master dies mid-traffic", () => {
  let group: TestSentinelGroup;
  let store: RedisTraceStore;
  let reader: RedisTraceStore;
  let h: Harness;

  beforeAll(async () => {
    group = await startSentinelGroup();
    store = new RedisTraceStore({ redis: group.url, readyWaitMs: 500 });
    reader = new RedisTraceStore({ redis: group.url, readyWaitMs: 500 });
    h = await startHarness(
      { heartbeatMs: 200, watermarkLagMs: 0, dirtyHoldMs: 200, maxTransactionAgeMs: MAX_AGE_MS },
      { store },
    );
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await store?.close();
    await reader?.close();
    await group?.stop();
  }, 60_000);

  it("follows the promoted replica and stays dirty for maxTransactionAge after the failover", async () => {
    let running = true;
    let answered = 0;
    const traffic = (async () => {
      while (running) {
        await Promise.all(
          Array.from({ length: 5 }, async () => {
            const r = await h.check(checkRequest({ requestId: newTxnId() }));
            if (r.http_response === "ok_response") answered += 1;
          }),
        );
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const trail = reportTrail(reader, POD);
    const report = () => trail.report();
    try {
      await eventually(async () => (await report())?.dirty === false && answered > 50, 15_000, 50);
      const before = (
        await h.tm.metrics.registry.getSingleMetricAsString("tranquil_tm_records_written_total")
      ).length;
      expect(before).toBeGreaterThan(0);

      const oldPort = await group.killMaster();
      const killedAt = Date.now();
      const newPort = await group.waitForNewMaster(oldPort, 30_000);
      expect(newPort).not.toBe(oldPort);

      // The TraceManager follows: new reports reach the new master, and new records with them.
      const activeBefore = (await reader.activeAt("reviews", "v1").catch(() => null))?.calls ?? 0;
      await eventually(async () => ((await report())?.heartbeatAt ?? 0) > killedAt, 30_000, 50);
      await eventually(
        async () => ((await reader.activeAt("reviews", "v1").catch(() => null))?.calls ?? 0) > activeBefore,
        15_000,
        100,
      );
      // The loss window is flagged, never certified away: every report from the failover on is
      // dirty until maxTransactionAge has passed since the loss was seen.
      const lossAt = await lossReported(trail);
      await expectLossHeld(trail, killedAt, lossAt, MAX_AGE_MS, async () => {
        running = false;
        await traffic;
      });
    } finally {
      running = false;
      await traffic.catch(() => undefined);
    }
  }, 120_000);
});
