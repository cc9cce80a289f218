import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchService, type RunningService } from "../../sample-services/launch.js";
import { runLoad } from "../../sample-services/load/index.js";
import { MemorySampleStore } from "../../sample-services/store/memory-store.js";
import { RedisSampleStore } from "../../sample-services/store/redis-store.js";
import { seedSampleData } from "../../sample-services/store/seed.js";
import { startSampleSystem, type SampleSystem } from "../../sample-services/system.js";
import { startTestRedis, type TestRedis } from "../support/redis-server.js";

const logger = pino({ level: "silent" });

describe("load generator against the real services", () => {
  let store: MemorySampleStore;
  let sys: SampleSystem;
  const extra: RunningService[] = [];

  beforeAll(async () => {
    store = new MemorySampleStore();
    await seedSampleData(store);
    sys = await startSampleSystem({
      store,
      logger,
      versions: { "auth-service": "v2", "order-service": "v2" },
    });
  });
  afterAll(async () => {
    for (const s of extra) await s.stop();
    await sys.stop();
  });

  it("runs bounded journeys with a slow tail and reports zero failures and zero mixing", async () => {
    const report = await runLoad({
      baseUrl: sys.baseUrl,
      // Bounded by the count; the duration only guards a stuck run.
      durationMs: 30_000,
      maxJourneys: 8,
      ratePerSecond: 10,
      concurrency: 4,
      thinkTimeMs: { min: 0, max: 20 },
      slowFraction: 0.5,
      slowDelayMs: { min: 200, max: 600 },
    });
    expect(report.summary.failureExamples).toEqual([]);
    expect(report.summary.failed).toBe(0);
    expect(report.summary.mixed).toBe(0);
    expect(report.journeys).toEqual({ started: 8, completed: 8, failed: 0, abandoned: 0 });
    const kinds = new Set(report.transactions.map((t) => t.kind));
    expect([...kinds].sort()).toEqual([
      "catalog",
      "create-order",
      "get-order",
      "login",
      "receive",
      "register",
      "scan",
    ]);
    // Two to three stations, scanned in and out at each.
    for (let j = 0; j < 8; j++) {
      const scans = report.transactions.filter((t) => t.journey === j && t.kind === "scan").length;
      expect(scans === 4 || scans === 6, `journey ${j}: ${scans} scans`).toBe(true);
    }
    expect(report.summary.versionsSeen["auth-service"]).toEqual({ v2: expect.any(Number) });
    expect(report.summary.versionsSeen["order-service"]).toEqual({ v2: expect.any(Number) });
    expect(report.transactions.every((t) => t.servedBy[0] === "logistics-api@v1")).toBe(true);
    const slow = report.transactions.filter((t) => t.slow);
    expect(slow.length).toBeGreaterThan(0);
    expect(Math.min(...slow.map((t) => t.latencyMs))).toBeGreaterThanOrEqual(190);
  });

  it("reports mixed-version transactions when a transaction's auth calls reach two versions", async () => {
    const authV1 = await launchService({ name: "auth-service", version: "v1", store, upstreams: {}, logger });
    extra.push(authV1);
    const mixedApi = await launchService({
      name: "logistics-api",
      version: "v1",
      store,
      logger,
      upstreams: {
        "auth-service": sys.services["auth-service"].address,
        "order-service": sys.services["order-service"].address,
        "item-service": sys.services["item-service"].address,
        "station-service": sys.services["station-service"].address,
      },
      methodUpstreams: { "auth-service/VerifyChallenge": authV1.address },
    });
    extra.push(mixedApi);
    const report = await runLoad({
      baseUrl: `http://${mixedApi.address}`,
      durationMs: 30_000,
      maxJourneys: 3,
      ratePerSecond: 20,
      concurrency: 3,
    });
    expect(report.summary.mixed).toBe(3);
    expect(report.summary.failed).toBe(3);
    expect(report.summary.failuresByStatus).toEqual({ "409": 3 });
    for (const t of report.summary.mixedExamples) {
      expect(t.kind).toBe("create-order");
      expect(t.mixed).toEqual({ "auth-service": ["v1", "v2"] });
      expect(t.error).toMatch(/transaction served by two auth-service versions/);
    }
    expect(report.journeys).toMatchObject({ started: 3, failed: 3 });
  });

  it("stops at once when aborted, and refuses unbounded or non-loopback runs", async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const t0 = Date.now();
    const report = await runLoad({
      baseUrl: sys.baseUrl,
      durationMs: 60_000,
      maxJourneys: 1000,
      ratePerSecond: 5,
      concurrency: 2,
      slowFraction: 1,
      slowDelayMs: { min: 20_000, max: 20_000 },
      signal: ac.signal,
    });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(report.aborted).toBe(true);
    expect(report.journeys.started).toBeGreaterThan(0);
    await expect(
      runLoad({
        baseUrl: "http://10.1.2.3:80",
        durationMs: 1,
        maxJourneys: 1,
        ratePerSecond: 1,
        concurrency: 1,
      }),
    ).rejects.toThrow(/not loopback/);
    await expect(
      runLoad({
        baseUrl: sys.baseUrl,
        durationMs: Infinity,
        maxJourneys: 1,
        ratePerSecond: 1,
        concurrency: 1,
      }),
    ).rejects.toThrow(/durationMs must be a positive number/);
  });
});

describe("load generator on the Redis store", () => {
  let redis: TestRedis;
  let store: RedisSampleStore;
  let sys: SampleSystem;
  beforeAll(async () => {
    redis = await startTestRedis();
    store = await RedisSampleStore.connect(redis.url);
    await seedSampleData(store);
    sys = await startSampleSystem({ store, logger });
  });
  afterAll(async () => {
    await sys.stop();
    await store.close();
    await redis.stop();
  });

  it("completes every journey with no failure and no mixing", async () => {
    const report = await runLoad({
      baseUrl: sys.baseUrl,
      durationMs: 30_000,
      maxJourneys: 4,
      ratePerSecond: 10,
      concurrency: 2,
    });
    expect(report.summary.failureExamples).toEqual([]);
    expect(report.summary.mixed).toBe(0);
    expect(report.journeys.completed).toBe(4);
  });
});
