import { describe, expect, it } from "vitest";
import { RedisKeys } from "./redis-keys.js";

describe("Redis key layout", () => {
  const keys = new RedisKeys("tq");

  it("tags every per-service key with the service, so one script's keys share a slot", () => {
    const tagged = [
      keys.callBucket("auth-service", 7),
      keys.callIndex("auth-service"),
      keys.stats("auth-service"),
      keys.violations("auth-service"),
      keys.expiries("auth-service"),
      keys.outbound("auth-service", "v2", 9),
    ];
    for (const k of tagged) expect(k).toMatch(/^tq:\{auth-service\}:/);
    expect(new Set(tagged).size).toBe(tagged.length);
    expect(keys.ingressBucket("gw", 7)).not.toBe(keys.callBucket("gw", 7));
  });

  it("refuses a prefix that could break the layout", () => {
    expect(() => new RedisKeys("a{b}")).toThrow(RangeError);
    expect(() => new RedisKeys("")).toThrow(RangeError);
  });
});
