import { describe, it, expect } from "vitest";
import { isCanonicalTxnId, isDnsLabel, parseTraceId, parseTxnId, readTxnId } from "./ids.js";

describe("readTxnId", () => {
  it.each([
    // UUIDs and 16–64 hex digits are lower-cased, as before ADR 0084.
    ["9609691a-4e9b-9545-ac71-3889bc2dffb0", "9609691a-4e9b-9545-ac71-3889bc2dffb0"],
    ["9609691A-4E9B-9545-AC71-3889BC2DFFB0", "9609691a-4e9b-9545-ac71-3889bc2dffb0"],
    ["635187cb20d92f62", "635187cb20d92f62"],
    ["635187CB20D92F62", "635187cb20d92f62"],
    ["a".repeat(64), "a".repeat(64)],
    // Any other id from the safe set is kept exactly as sent (header matches are case-sensitive).
    ["my-request-1", "my-request-1"],
    ["My-Request-1", "My-Request-1"],
    ["abc", "abc"],
    ["x", "x"],
    ["635187cb20d92f6", "635187cb20d92f6"],
    ["9609691a-4e9b-9545-ac71-3889bc2dffb0x", "9609691a-4e9b-9545-ac71-3889bc2dffb0x"],
    ["A".repeat(65), "A".repeat(65)],
    ["z".repeat(128), "z".repeat(128)],
    [
      "order_42.retry~1:2026-12-03T06:00:00Z@edge/eu+1=ok",
      "order_42.retry~1:2026-12-03T06:00:00Z@edge/eu+1=ok",
    ],
    ["01JEBV9Q3Z8X6M4T2R0N5K7H1G", "01JEBV9Q3Z8X6M4T2R0N5K7H1G"],
  ])("accepts %s as %s", (raw, want) => {
    expect(readTxnId(raw)).toEqual({ ok: true, txn: want });
    expect(parseTxnId(raw)).toBe(want);
    expect(isCanonicalTxnId(want)).toBe(true);
  });

  it.each([
    [undefined, "missing"],
    ["", "empty"],
    ["a".repeat(129), "too_long"],
    ["9".repeat(200), "too_long"],
    ["{svc}:key", "unsafe_characters"],
    ["9609691a 4e9b 9545 ac71 3889bc2dffb0", "unsafe_characters"],
    ["a\tb", "unsafe_characters"],
    ["a\nb", "unsafe_characters"],
    ["a,b", "unsafe_characters"],
    ["a|b", "unsafe_characters"],
    ["a;b", "unsafe_characters"],
    ["#c:v1", "unsafe_characters"],
    ["a*b?", "unsafe_characters"],
    ["[ab]", "unsafe_characters"],
    ["(a)", "unsafe_characters"],
    ['a"b', "unsafe_characters"],
    ["a'b", "unsafe_characters"],
    ["a\\b", "unsafe_characters"],
    ["a^b$", "unsafe_characters"],
    ["a%20b", "unsafe_characters"],
    ["a&b", "unsafe_characters"],
    ["demande-é", "unsafe_characters"],
    ["a\u0000b", "unsafe_characters"],
  ] as const)("refuses %j (%s)", (raw, reason) => {
    expect(readTxnId(raw)).toEqual({ ok: false, reason });
    expect(parseTxnId(raw)).toBeNull();
  });

  it("calls an id canonical only in the form the boundary returns", () => {
    expect(isCanonicalTxnId("9609691A-4E9B-9545-AC71-3889BC2DFFB0")).toBe(false);
    expect(isCanonicalTxnId("a b")).toBe(false);
    expect(isCanonicalTxnId("")).toBe(false);
  });
});

describe("parseTraceId", () => {
  it.each([
    ["635187cb20d92f62377ba0cdc2334270", true],
    ["377BA0CDC2334270", true],
    ["377ba0cdc233427", false],
    ["635187cb20d92f62377ba0cdc23342700", false],
    ["zz5187cb20d92f62", false],
    [undefined, false],
  ])("%s → %s", (raw, ok) => {
    expect(parseTraceId(raw) !== null).toBe(ok);
  });
});

describe("isDnsLabel", () => {
  it.each([
    ["reviews", true],
    ["v1", true],
    ["auth-service", true],
    ["a".repeat(63), true],
    ["a".repeat(64), false],
    ["Reviews", false],
    ["-x", false],
    ["x-", false],
    ["a.b", false],
    ["", false],
    ["{x}", false],
  ])("%s → %s", (raw, ok) => {
    expect(isDnsLabel(raw)).toBe(ok);
  });
});
