import { describe, expect, it } from "vitest";
import { isRedisUrl, redisSourceFromUrl, redisUrlProblem } from "./redis-url.js";

describe("the store URL", () => {
  it("passes redis:// and rediss:// to ioredis as they are", () => {
    expect(redisSourceFromUrl("redis://:pw@redis:6379/2")).toBe("redis://:pw@redis:6379/2");
    expect(redisSourceFromUrl("rediss://redis:6380")).toBe("rediss://redis:6380");
  });

  it("reads a Sentinel URL: the sentinels, the master name, the master's password and db", () => {
    expect(
      redisSourceFromUrl("redis-sentinel://:s%40cret@10.0.0.1:26379,[::1]:26380,sentinel-2/tranquil/3"),
    ).toEqual({
      sentinels: [
        { host: "10.0.0.1", port: 26379 },
        { host: "::1", port: 26380 },
        { host: "sentinel-2", port: 26379 },
      ],
      name: "tranquil",
      password: "s@cret",
      db: 3,
    });
  });

  it("takes the sentinels' own password as a parameter, and TLS from rediss-sentinel", () => {
    expect(redisSourceFromUrl("rediss-sentinel://h:26379/m?sentinelPassword=x")).toEqual({
      sentinels: [{ host: "h", port: 26379 }],
      name: "m",
      sentinelPassword: "x",
      tls: {},
      enableTLSForSentinelMode: true,
    });
  });

  it("reads a Cluster URL: the seed nodes, the user and password of every node, TLS", () => {
    expect(redisSourceFromUrl("redis-cluster://tq:s%40cret@10.0.0.1:7000,[::1]:7001,redis-2")).toEqual({
      clusterNodes: [
        { host: "10.0.0.1", port: 7000 },
        { host: "::1", port: 7001 },
        { host: "redis-2", port: 6379 },
      ],
      redisOptions: { username: "tq", password: "s@cret" },
    });
    expect(redisSourceFromUrl("rediss-cluster://:pw@r:6380/")).toEqual({
      clusterNodes: [{ host: "r", port: 6380 }],
      redisOptions: { password: "pw", tls: {} },
    });
  });

  it.each([
    ["redis-cluster://h:6379/0", "not a Redis Cluster URL"],
    ["redis-cluster://h:6379?x=1", "not a Redis Cluster URL"],
    ["redis-cluster://a:1,b:70000", 'cluster node address "b:70000" is not host:port'],
    ["redis-cluster://", "not a Redis Cluster URL"],
    ["redis-sentinel://h:26379", "not a Redis store URL"],
    ["redis-sentinel://h:0/m", 'sentinel address "h:0" is not host:port'],
    ["redis-sentinel://h:26379/m?timeout=5", 'unknown parameter "timeout"'],
    ["http://redis:6379", "not a Redis URL"],
    ["redis://", "not a Redis URL"],
  ])("says what is wrong with %s", (url, message) => {
    expect(redisUrlProblem(url)).toContain(message);
  });

  it("finds nothing wrong with the forms it reads", () => {
    for (const url of [
      "redis://r:6379",
      "rediss://r:6380/1",
      "redis-sentinel://a:1,b:2/m",
      "redis-cluster://a:1,b:2,c",
      "rediss-cluster://u:p@a:1",
    ]) {
      expect(isRedisUrl(url)).toBe(true);
      expect(redisUrlProblem(url)).toBeUndefined();
    }
  });

  it("never echoes the password in a problem", () => {
    expect(redisUrlProblem("redis-sentinel://:hunter2@h:0/m")).not.toContain("hunter2");
    expect(redisUrlProblem("redis-cluster://:hunter2@h:0")).not.toContain("hunter2");
    expect(redisUrlProblem("redis-cluster://:hunter2@h:1/2")).not.toContain("hunter2");
  });
});
