import { describe, it, expect } from "vitest";
import { ConfigError, configFromEnv } from "./config.js";

const base = {
  TM_ROLE: "sidecar",
  TM_SERVICE: "reviews",
  TM_VERSION: "v2",
  POD_NAME: "reviews-v2-7d9c-abcde",
};

describe("TM_STORE with a Redis Cluster URL (ADR 0092)", () => {
  it("takes redis-cluster:// and rediss-cluster:// as a Redis store", () => {
    for (const url of [
      "redis-cluster://redis-0:6379,redis-1:6379,redis-2:6379",
      "rediss-cluster://:pw@redis-0",
    ])
      expect(configFromEnv({ ...base, TM_STORE: url }).store).toEqual({ kind: "redis", url });
  });

  it("says which node address is wrong, without the password", () => {
    let problems: readonly string[] = [];
    try {
      configFromEnv({ ...base, TM_STORE: "redis-cluster://:hunter2@redis-0:6379,redis-1:0" });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems = err.problems;
    }
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^TM_STORE: cluster node address "redis-1:0" is not host:port/);
    expect(problems[0]).not.toContain("hunter2");
  });
});
