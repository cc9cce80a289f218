import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRedis, type TestRedis } from "../../test/support/redis-server.js";
import { systemTimers } from "../clock.js";
import { createMetrics } from "../metrics.js";
import type { CallEnd, CallStart, IngressEnd, IngressStart, TraceStore, TxnId } from "../store/port.js";
import { RedisTraceStore } from "../store/redis.js";
import { DirtyState } from "./dirty.js";
import { Recorder } from "./recorder.js";

let redis: TestRedis;
let admin: Redis;
beforeAll(async () => {
  redis = await startTestRedis();
  admin = new Redis(redis.port, redis.host, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await admin.connect();
});
afterAll(async () => {
  admin.disconnect();
  await redis.stop();
});

/**
 * A store whose start writes can be held back (they wait, in flight, until released), while ends
 * go straight through: what a start writer deep in its retry backoff looks like to the store.
 * It also tallies what the store answered to the end writes.
 */
function holdStarts(inner: TraceStore): {
  store: TraceStore;
  hold(): void;
  release(): void;
  clampedEnds: { calls: number; ingress: number };
} {
  let gate: Promise<void> | null = null;
  let open: () => void = () => undefined;
  const clampedEnds = { calls: 0, ingress: 0 };
  const held = async (): Promise<void> => {
    if (gate !== null) await gate;
  };
  const store: TraceStore = Object.assign(Object.create(inner) as TraceStore, {
    recordCallStarts: async (batch: readonly CallStart[]) => (await held(), inner.recordCallStarts(batch)),
    recordIngressStarts: async (batch: readonly IngressStart[]) => (
      await held(),
      inner.recordIngressStarts(batch)
    ),
    recordCallEnds: async (batch: readonly CallEnd[]) => {
      const res = await inner.recordCallEnds(batch);
      clampedEnds.calls += res.clamped;
      return res;
    },
    recordIngressEnds: async (batch: readonly IngressEnd[]) => {
      const res = await inner.recordIngressEnds(batch);
      clampedEnds.ingress += res.clamped;
      return res;
    },
  });
  return {
    store,
    hold: () => {
      gate ??= new Promise<void>((resolve) => (open = resolve));
    },
    release: () => {
      gate = null;
      open();
    },
    clampedEnds,
  };
}

/** Polls `ok` until it holds or `ms` pass. */
async function until(ok: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

const N = 40;
const SERVICE = "auth-service";

describe("ends that overtake their starts, through the recorder on a real Redis (ADR 0086)", () => {
  it("after an OOM, ends written before their starts leave no phantom active call or ingress", async () => {
    const inner = new RedisTraceStore({ redis: redis.url, keyPrefix: "early", readyWaitMs: 2_000 });
    const controller = new RedisTraceStore({ redis: redis.url, keyPrefix: "early" });
    const held = holdStarts(inner);
    const metrics = createMetrics();
    const dirty = new DirtyState(60_000);
    const recorder = new Recorder(
      { checkBudgetMs: 20, bufferLimit: 10_000, maxBatch: 16 },
      {
        store: held.store,
        metrics,
        dirty,
        clock: Date.now,
        timers: systemTimers,
        log: pino({ level: "silent" }),
      },
    );
    try {
      // Redis runs out of memory: every write is refused with OOM and each writer retries.
      await admin.config("SET", "maxmemory", "1");
      const now = Date.now();
      const ids = Array.from({ length: N }, () => randomUUID() as TxnId);
      const admissions = ids.flatMap((txn, i) => [
        recorder.admit(recorder.callStarts, {
          txn,
          service: SERVICE,
          version: "v1",
          pod: `${SERVICE}-v1-0`,
          at: now + i,
        }),
        recorder.admit(recorder.ingressStarts, {
          txn,
          gateway: "gw-a",
          at: now + i,
          enrolments: [{ upgrade: "up-1", enrolled: i % 2 === 0, weightVersion: 1 }],
        }),
      ]);
      // The calls complete meanwhile; their ends queue behind the outage too.
      ids.forEach((txn, i) => {
        const at = now + i + 5;
        recorder.enqueue(recorder.callEnds, {
          txn,
          service: SERVICE,
          version: "v1",
          pod: `${SERVICE}-v1-0`,
          at,
          status: 200,
          durationMs: 5,
        });
        recorder.enqueue(recorder.ingressEnds, { txn, gateway: "gw-a", at, status: 200 });
      });
      await until(() => recorder.callStarts.retrying && recorder.ingressStarts.retrying);
      expect(await admin.set("early:probe", "x").catch((e: unknown) => String(e))).toMatch(/OOM/);

      // The OOM ends; the start writer's retry is held back, so the ends land first.
      held.hold();
      await new Promise((r) => setTimeout(r, 200)); // attempts already sent fail on the OOM
      await admin.config("SET", "maxmemory", "0");
      await until(() => recorder.callEnds.pending === 0 && recorder.ingressEnds.pending === 0);
      expect(held.clampedEnds).toEqual({ calls: N, ingress: N });
      expect(recorder.callStarts.pending).toBe(N);
      expect(recorder.ingressStarts.pending).toBe(N);
      expect(await controller.activeAt(SERVICE, "v1")).toEqual({
        calls: 0,
        transactions: 0,
        oldestStartAt: null,
      });

      // The starts land: each cancels its early end. No phantom remains, as the controller sees it.
      held.release();
      await until(() => recorder.pending === 0);
      expect(await Promise.all(admissions)).toEqual(Array.from({ length: 2 * N }, () => "late"));
      expect(await controller.activeAt(SERVICE, "v1")).toEqual({
        calls: 0,
        transactions: 0,
        oldestStartAt: null,
      });
      expect(await controller.activeTransactions(SERVICE, "v1", 100)).toEqual([]);
      const ingress = await controller.ingress("up-1");
      expect(ingress).toMatchObject({
        enrolledInFlight: 0,
        nonEnrolledInFlight: 0,
        oldestInFlightStartAt: null,
      });
      expect(ingress.lastNonEnrolledStartAt).toBe(now + N - 1);

      // The outage is a fault; the reordering is not one: nothing was clamped.
      const reasons = dirty.evaluate(Date.now(), recorder.ongoing(Date.now()));
      expect(reasons).toContain("store-error");
      expect(reasons).not.toContain("counter-clamped");
      const clamped = await metrics.registry.getSingleMetricAsString("tranquil_tm_clamped_decrements_total");
      expect(clamped).not.toMatch(/ [1-9]\d*$/m);

      // An end no start of this TraceManager is waiting for is still a fault, and counted.
      recorder.enqueue(recorder.callEnds, {
        txn: randomUUID() as TxnId,
        service: SERVICE,
        version: "v1",
        pod: `${SERVICE}-v1-0`,
        at: Date.now(),
        status: 200,
        durationMs: 1,
      });
      await until(() => recorder.pending === 0);
      expect(dirty.evaluate(Date.now(), [])).toContain("counter-clamped");
      expect(await metrics.registry.getSingleMetricAsString("tranquil_tm_clamped_decrements_total")).toMatch(
        /kind="call_end"\} 1$/m,
      );
      expect(await controller.activeAt(SERVICE, "v1")).toMatchObject({ calls: 0 });
    } finally {
      await admin.config("SET", "maxmemory", "0");
      recorder.close();
      await Promise.all([inner.close(), controller.close()]);
    }
  }, 30_000);
});
