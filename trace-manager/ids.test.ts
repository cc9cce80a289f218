import { describe, it, expect } from "vitest";
import { isDnsLabel, parseTraceId, parseTxnId } from "./ids.js";

describe("parseTxnId", () => {
  it.each([
    ["9609691a-4e9b-9545-ac71-3889bc2dffb0", "9609691a-4e9b-9545-ac71-3889bc2dffb0"],
    ["9609691A-4E9B-9545-AC71-3889BC2DFFB0", "9609691a-4e9b-9545-ac71-3889bc2dffb0"],
    ["635187cb20d92f62", "635187cb20d92f62"],
    ["a".repeat(64), "a".repeat(64)],
  ])("accepts %s", (raw, want) => {
    expect(parseTxnId(raw)).toBe(want);
  });

  it.each([
    [undefined],
    [""],
    ["abc"],
    ["635187cb20d92f6"],
    ["a".repeat(65)],
    ["9609691a-4e9b-9545-ac71-3889bc2dffb0x"],
    ["{svc}:key"],
    ["9609691a 4e9b 9545 ac71 3889bc2dffb0"],
    ["../../etc/passwd0000000000"],
  ])("refuses %s", (raw) => {
    expect(parseTxnId(raw)).toBeNull();
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
