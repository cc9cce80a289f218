import { describe, expect, it } from "vitest";
import {
  applyHeaderMutation,
  composeMutations,
  concatMutations,
  mutationFromOperations,
} from "./header-mutation.js";
import type { HeaderMutation } from "./result.js";

const m = (over: Partial<HeaderMutation>): HeaderMutation => ({ set: {}, add: {}, remove: [], ...over });

describe("applyHeaderMutation (Envoy order: remove, set, add)", () => {
  it.each<[string, Record<string, string>, HeaderMutation, Record<string, string>]>([
    ["set overwrites", { a: "1" }, m({ set: { a: "2" } }), { a: "2" }],
    ["set adds when absent", {}, m({ set: { a: "2" } }), { a: "2" }],
    ["add appends", { a: "1" }, m({ add: { a: "2" } }), { a: "1, 2" }],
    ["add creates when absent", {}, m({ add: { a: "2" } }), { a: "2" }],
    ["remove deletes", { a: "1", b: "2" }, m({ remove: ["a"] }), { b: "2" }],
    ["remove runs before add", { a: "1" }, m({ remove: ["a"], add: { a: "2" } }), { a: "2" }],
    ["names are lower-cased", { a: "1" }, m({ set: { A: "2" }, remove: ["B"] }), { a: "2" }],
  ])("%s", (_n, headers, mutation, expected) => {
    expect(applyHeaderMutation(headers, mutation)).toEqual(expected);
  });
  it("does not modify its input", () => {
    const h = { a: "1" };
    applyHeaderMutation(h, m({ set: { a: "2" } }));
    expect(h).toEqual({ a: "1" });
  });
});

describe("composing mutations equals applying them in sequence", () => {
  const headers = { a: "1", b: "2", c: "3" };
  const cases: [string, HeaderMutation, HeaderMutation][] = [
    ["second set wins", m({ set: { a: "x" } }), m({ set: { a: "y" } })],
    ["second removes first's set", m({ set: { a: "x" } }), m({ remove: ["a"] })],
    ["second adds to first's set", m({ set: { a: "x" } }), m({ add: { a: "y" } })],
    ["adds accumulate", m({ add: { b: "x" } }), m({ add: { b: "y" } })],
    ["first removes, second adds", m({ remove: ["c"] }), m({ add: { c: "z" } })],
    ["second set replaces first add", m({ add: { b: "x" } }), m({ set: { b: "y" } })],
  ];
  it.each(cases)("%s", (_n, first, second) => {
    const sequential = applyHeaderMutation(applyHeaderMutation(headers, first), second);
    expect(applyHeaderMutation(headers, composeMutations(first, second))).toEqual(sequential);
  });
  it("concat keeps removes first, as one Envoy header parser does", () => {
    const out = concatMutations(m({ set: { a: "x" } }), m({ remove: ["a"] }));
    expect(applyHeaderMutation(headers, out).a).toBe("x");
  });
});

describe("mutationFromOperations", () => {
  it("drops pseudo-headers and host and reports the authority rewrite (set wins over add)", () => {
    expect(
      mutationFromOperations({
        set: { ":authority": "s", "X-Y": "1" },
        add: { host: "a" },
        remove: [":path", "Z"],
      }),
    ).toEqual({ mutation: m({ set: { "x-y": "1" }, remove: ["z"] }), authority: "s" });
  });
});
