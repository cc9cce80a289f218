import { describe, expect, it } from "vitest";
import {
  bucketPlan,
  isExpired,
  lastExpiredBucket,
  liveBuckets,
  lookupBuckets,
  statsBuckets,
} from "./buckets.js";

describe("bucket math", () => {
  const plan = bucketPlan(60_000, 10_000);

  it("defaults the width to a tenth of maxAge", () => {
    expect(bucketPlan()).toEqual({ bucketMs: 60_000, maxAgeMs: 600_000 });
    expect(() => bucketPlan(0)).toThrow(RangeError);
  });

  it("keeps a record at least maxAge and at most maxAge + one bucket", () => {
    // A record created at t=0 (bucket 0) and one created at t=9 999 (also bucket 0).
    expect(isExpired(0, 69_999, plan)).toBe(false);
    expect(isExpired(0, 70_000, plan)).toBe(true);
    expect(lastExpiredBucket(70_000, plan)).toBe(0);
  });

  it.each([
    [0, [0, 1, -1, -2, -3, -4, -5, -6]],
    [69_999, [6, 7, 5, 4, 3, 2, 1, 0]],
    [70_000, [7, 8, 6, 5, 4, 3, 2, 1]],
  ])("looks up at %i in the current, the next (clock skew) and the older live buckets", (now, expected) => {
    expect(lookupBuckets(now, plan)).toEqual(expected);
    expect(liveBuckets(now, plan)).toEqual([...expected].sort((a, b) => a - b));
    for (const b of expected) expect(isExpired(b, now, plan)).toBe(false);
    expect(isExpired(Math.min(...expected) - 1, now, plan)).toBe(true);
  });

  it("reads stats buckets from the one holding sinceMs, within retention", () => {
    expect(statsBuckets(12_500, 15_000, 1_000, 60_000)).toEqual([12, 13, 14, 15]);
    expect(statsBuckets(0, 100_000, 10_000, 30_000)).toEqual([7, 8, 9, 10]);
  });
});
