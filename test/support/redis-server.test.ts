import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRedis, type TestRedis } from "./redis-server.js";

describe("test redis-server helper", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it("serves commands and comes back empty after a crash", async () => {
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    client.on("error", () => undefined);
    await client.set("k", "v");
    expect(await client.get("k")).toBe("v");
    await redis.kill();
    await redis.start();
    // ioredis reconnects on its own; the restarted server has no data.
    expect(await client.get("k")).toBeNull();
    client.disconnect();
  });
});
