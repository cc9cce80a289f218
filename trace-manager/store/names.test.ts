import { describe, expect, it } from "vitest";
import { TraceStoreError } from "./errors.js";
import { assertName, assertTime, assertTrace, assertTxn } from "./names.js";

describe("store name guards", () => {
  it.each(["auth-service", "v1", "a", "x".repeat(63)])("accepts the DNS label %s", (name) => {
    expect(() => assertName("op", "service", name)).not.toThrow();
  });

  it.each(["", "Auth", "-a", "a-", "a_b", "a.b", "a:b", "{a}", "a|b", "x".repeat(64)])(
    "refuses %j",
    (name) => {
      expect(() => assertName("op", "service", name)).toThrow(TraceStoreError);
    },
  );

  it("checks ids and times", () => {
    expect(() => assertTxn("op", "0af7651b-1c4d-4e5f-8a9b-000000001001")).not.toThrow();
    expect(() => assertTxn("op", "0AF7651B1C4D4E5F")).toThrow(/not a validated id/);
    expect(() => assertTrace("op", undefined)).not.toThrow();
    expect(() => assertTrace("op", "abc|")).toThrow(TraceStoreError);
    expect(() => assertTime("op", "at", Number.NaN)).toThrow(/epoch-millisecond/);
  });
});
