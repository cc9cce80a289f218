import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { Redis } from "ioredis";
import { startTestRedis, type TestRedis } from "../../test/support/redis-server.js";
import { MemoryTraceStore } from "./memory.js";
import { RedisTraceStore } from "./redis.js";
import { parseInfo } from "./redis-integrity.js";

describe("TraceStore.integrity (ADR 0085)", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it("Redis: one generation for every client until the data set is lost, with the server's facts", async () => {
    const a = new RedisTraceStore({ redis: redis.url });
    const b = new RedisTraceStore({ redis: redis.url });
    try {
      const [x, y] = await Promise.all([a.integrity(), b.integrity()]);
      expect(x.generation).toBe(y.generation);
      expect(x.serverId).toMatch(/^[0-9a-f]{40}$/);
      expect(x.evictionPolicy).toBe("noeviction");
      expect(x.maxMemoryBytes).toBe(0);
      expect(x.evictedKeys).toBe(0);
      expect((await a.integrity()).generation).toBe(x.generation);

      const admin = new Redis(redis.url);
      await admin.flushall();
      admin.disconnect();
      const after = await b.integrity();
      expect(after.generation).not.toBe(x.generation);
      expect(after.serverId).toBe(x.serverId);
      expect((await a.integrity()).generation).toBe(after.generation);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("memory: a fixed generation per store and no server facts", async () => {
    const a = new MemoryTraceStore();
    const b = new MemoryTraceStore();
    const x = await a.integrity();
    expect((await a.integrity()).generation).toBe(x.generation);
    expect((await b.integrity()).generation).not.toBe(x.generation);
    expect(x).toMatchObject({
      serverId: null,
      evictionPolicy: null,
      maxMemoryBytes: null,
      evictedKeys: null,
    });
  });

  it("parses INFO fields and skips section titles", () => {
    const f = parseInfo(
      "# Server\r\nrun_id:abc\r\n\r\n# Memory\r\nmaxmemory:0\r\nmaxmemory_policy:noeviction\r\n",
    );
    expect(f.get("run_id")).toBe("abc");
    expect(f.get("maxmemory_policy")).toBe("noeviction");
    expect(f.has("# Server")).toBe(false);
  });
});
