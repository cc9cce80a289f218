import { describe, expect, it } from "vitest";
import { percentile, summarise } from "./summarise.js";
import type { TransactionRecord } from "./types.js";

function tx(over: Partial<TransactionRecord>): TransactionRecord {
  return {
    journey: 0,
    kind: "create-order",
    method: "POST",
    path: "/orders",
    startedAt: 0,
    latencyMs: 10,
    status: 201,
    ok: true,
    servedBy: ["logistics-api@v1", "auth-service@v1"],
    mixed: {},
    slow: false,
    ...over,
  };
}

describe("summarise", () => {
  it("counts failures by status, mixed transactions, versions seen and latency", () => {
    const s = summarise([
      tx({ latencyMs: 5 }),
      tx({ latencyMs: 50, servedBy: ["logistics-api@v1", "auth-service@v2"] }),
      tx({
        latencyMs: 20,
        status: 409,
        ok: false,
        error: "mixed",
        servedBy: ["logistics-api@v1", "auth-service@v1", "auth-service@v2"],
        mixed: { "auth-service": ["v1", "v2"] },
      }),
      tx({ latencyMs: 100, status: 0, ok: false, servedBy: [] }),
    ]);
    expect(s).toMatchObject({
      total: 4,
      succeeded: 2,
      failed: 2,
      mixed: 1,
      failuresByStatus: { "409": 1, "0": 1 },
    });
    expect(s.versionsSeen).toEqual({ "logistics-api": { v1: 3 }, "auth-service": { v1: 2, v2: 2 } });
    expect(s.mixedExamples.map((t) => t.error)).toEqual(["mixed"]);
    expect(s.latencyMs).toEqual({ p50: 20, p95: 100, p99: 100, max: 100 });
  });

  it("nearest-rank percentiles", () => {
    expect(percentile([], 50)).toBe(0);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 75)).toBe(3);
    expect(percentile([1, 2, 3, 4], 100)).toBe(4);
  });
});
