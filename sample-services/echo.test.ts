/**
 * The bound on inputs the sample services echo.
 */
import { describe, expect, it } from "vitest";
import { echo, quoted } from "./echo.js";

describe("echo and quoted", () => {
  it.each([
    ["o-123", "o-123"],
    ["o".repeat(64), "o".repeat(64)],
    ["o".repeat(100 * 1024), `${"o".repeat(63)}…`],
  ])("echo cuts at 64 characters with an ellipsis", (value, expected) => {
    expect(echo(value)).toBe(expected);
  });

  it("quotes strings and bounds any value", () => {
    expect(quoted("o".repeat(1000))).toBe(`"${"o".repeat(63)}…"`);
    expect(quoted(7)).toBe("7");
    expect(quoted(undefined)).toBe("undefined");
    expect(quoted({ a: "b".repeat(1000) }).length).toBe(64);
  });
});
