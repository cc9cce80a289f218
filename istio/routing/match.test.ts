import { describe, expect, it } from "vitest";
import { isCatchAllMatch, matchContext, requestMatches } from "./match.js";
import { compileRe2, re2FullMatch } from "./regex.js";
import type { HTTPMatchRequest } from "../api/types.js";

const ctx = matchContext({
  authority: "order:50051",
  method: "POST",
  path: "/api/Orders/42?expand=items&flag",
  headers: { "x-tranquil-release": "u1, u22", "end-user": "jason", empty: "" },
});

describe("header matches (names case-insensitive, values case-sensitive)", () => {
  it.each<[string, HTTPMatchRequest, boolean]>([
    ["exact", { headers: { "end-user": { exact: "jason" } } }, true],
    ["exact, name in upper case", { headers: { "End-User": { exact: "jason" } } }, true],
    ["exact, value in other case", { headers: { "end-user": { exact: "Jason" } } }, false],
    ["prefix", { headers: { "end-user": { prefix: "ja" } } }, true],
    ["prefix not at start", { headers: { "end-user": { prefix: "son" } } }, false],
    ["regex full match", { headers: { "end-user": { regex: "j.*n" } } }, true],
    ["regex must match the whole value", { headers: { "end-user": { regex: "jas" } } }, false],
    ["presence {}", { headers: { "end-user": {} } }, true],
    ["presence of an empty-valued header", { headers: { empty: {} } }, true],
    ["presence of a missing header", { headers: { missing: {} } }, false],
    ["regex '*' is presence (Istio)", { headers: { "end-user": { regex: "*" } } }, true],
    ["exact on a missing header", { headers: { missing: { exact: "" } } }, false],
    ["withoutHeaders exact differs", { withoutHeaders: { "end-user": { exact: "bob" } } }, true],
    ["withoutHeaders exact equal", { withoutHeaders: { "end-user": { exact: "jason" } } }, false],
    [
      "withoutHeaders exact on a missing header (treated as empty)",
      { withoutHeaders: { missing: { exact: "x" } } },
      true,
    ],
    ["withoutHeaders presence of a present header", { withoutHeaders: { "end-user": {} } }, false],
    ["withoutHeaders presence of a missing header", { withoutHeaders: { missing: {} } }, true],
    // DESIGN §4.2: a token in a comma list needs `(.*,\s*)?<id>(\s*,.*)?` under full match.
    [
      "token regex matches a later token",
      { headers: { "x-tranquil-release": { regex: "(.*,\\s*)?u22(\\s*,.*)?" } } },
      true,
    ],
    [
      "token regex does not match a token prefix",
      { headers: { "x-tranquil-release": { regex: "(.*,\\s*)?u2(\\s*,.*)?" } } },
      false,
    ],
    [
      "anchored token regex fails under full match",
      { headers: { "x-tranquil-release": { regex: "(^|,)u1(,|$)" } } },
      false,
    ],
  ])("%s", (_n, match, expected) => {
    expect(requestMatches(match, ctx)).toBe(expected);
  });
});

describe("uri, method, authority, query", () => {
  it.each<[string, HTTPMatchRequest, boolean]>([
    ["exact ignores the query", { uri: { exact: "/api/Orders/42" } }, true],
    ["exact is case-sensitive", { uri: { exact: "/api/orders/42" } }, false],
    ["exact with ignoreUriCase", { uri: { exact: "/api/orders/42" }, ignoreUriCase: true }, true],
    ["prefix", { uri: { prefix: "/api/Ord" } }, true],
    ["prefix with ignoreUriCase", { uri: { prefix: "/API/orders" }, ignoreUriCase: true }, true],
    ["regex full match on the path", { uri: { regex: "/api/Orders/\\d+" } }, true],
    ["regex partial does not match", { uri: { regex: "/api/Orders" } }, false],
    [
      "regex ignores ignoreUriCase (Envoy)",
      { uri: { regex: "/api/orders/\\d+" }, ignoreUriCase: true },
      false,
    ],
    ["method exact", { method: { exact: "POST" } }, true],
    ["method regex", { method: { regex: "GET|PUT" } }, false],
    ["authority keeps the port", { authority: { exact: "order:50051" } }, true],
    ["authority prefix", { authority: { prefix: "order" } }, true],
    ["query exact", { queryParams: { expand: { exact: "items" } } }, true],
    ["query presence", { queryParams: { flag: {} } }, true],
    ["query missing", { queryParams: { nope: {} } }, false],
    ["all conditions ANDed", { uri: { prefix: "/api" }, method: { exact: "GET" } }, false],
  ])("%s", (_n, match, expected) => {
    expect(requestMatches(match, ctx)).toBe(expected);
  });
});

describe("catch-all detection (Istio IsCatchAllRoute)", () => {
  it.each<[string, HTTPMatchRequest | undefined, boolean]>([
    ["no match", undefined, true],
    ["empty block", {}, true],
    ["prefix /", { uri: { prefix: "/" } }, true],
    ["prefix / with a name", { name: "all", uri: { prefix: "/" } }, true],
    ["prefix /api", { uri: { prefix: "/api" } }, false],
    ["prefix / and a header", { uri: { prefix: "/" }, headers: { a: {} } }, false],
    ["prefix / and a method", { uri: { prefix: "/" }, method: { exact: "GET" } }, false],
  ])("%s", (_n, match, expected) => {
    expect(isCatchAllMatch(match)).toBe(expected);
  });
});

describe("RE2", () => {
  it("caches compiled patterns", () => {
    expect(compileRe2("a+b")).toBe(compileRe2("a+b"));
  });
  it("rejects patterns RE2 does not support (backreferences), which then match nothing", () => {
    expect(() => compileRe2("(a)\\1")).toThrow(/invalid RE2/);
    expect(re2FullMatch("(a)\\1", "aa")).toBe(false);
  });
});
