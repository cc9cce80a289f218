/**
 * The bound on echoed inputs.
 */
import { describe, expect, it } from "vitest";
import { echo, echoQuoted } from "./echo.js";

describe("echo", () => {
  it.each([
    ["short", 80, "short"],
    ["a".repeat(80), 80, "a".repeat(80)],
    ["a".repeat(81), 80, `${"a".repeat(79)}…`],
    ["abcdef", 4, "abc…"],
  ])("echo(%j, %d)", (value, max, expected) => {
    expect(echo(value, max)).toBe(expected);
    expect(echo(value, max).length).toBeLessThanOrEqual(max);
  });

  it("quotes and bounds", () => {
    expect(echoQuoted("x".repeat(100_000))).toBe(`"${"x".repeat(79)}…"`);
    expect(echoQuoted('say "hi"')).toBe('"say \\"hi\\""');
  });
});
