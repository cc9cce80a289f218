import { describe, expect, it } from "vitest";
import { parseDurationMs } from "./duration.js";
import { expandRequestHost, hostMatchRank, resolveShortname, shortName, splitAuthority } from "./hosts.js";
import { destinationShares } from "./weights.js";

describe("host names", () => {
  it.each([
    ["reviews", "prod", "reviews.prod.svc.cluster.local"],
    ["reviews.prod.svc.cluster.local", "default", "reviews.prod.svc.cluster.local"],
    ["reviews.prod", "default", "reviews.prod"], // dots: literal in config (Istio)
    ["*.prod.svc.cluster.local", "default", "*.prod.svc.cluster.local"],
    ["*", "default", "*"],
  ])("config host %s in %s → %s", (host, ns, fqdn) => {
    expect(resolveShortname(host, ns)).toBe(fqdn);
  });
  it.each([
    ["reviews", "reviews.default.svc.cluster.local"],
    ["reviews.prod", "reviews.prod.svc.cluster.local"],
    ["reviews.prod.svc", "reviews.prod.svc.cluster.local"],
    ["api.example.com", "api.example.com"],
  ])("request host %s → %s", (host, fqdn) => {
    expect(expandRequestHost(host, "default")).toBe(fqdn);
  });
  it.each([
    ["order:50051", { host: "order", port: 50051 }],
    ["Order", { host: "order" }],
    ["[::1]:8080", { host: "[::1]", port: 8080 }],
  ])("authority %s", (a, expected) => {
    expect(splitAuthority(a)).toEqual(expected);
  });
  it("ranks exact over longer suffix over shorter suffix over *", () => {
    const name = "a.b.svc.cluster.local";
    const ranks = [name, "*.b.svc.cluster.local", "*.svc.cluster.local", "*"].map(
      (p) => hostMatchRank(p, name) ?? -1,
    );
    expect([...ranks].sort((x, y) => y - x)).toEqual(ranks);
    expect(hostMatchRank("*.c.svc.cluster.local", name)).toBeUndefined();
  });
  it("short names", () => {
    expect(shortName("order.default.svc.cluster.local")).toBe("order");
    expect(shortName("example.com")).toBe("example.com");
  });
});

describe("durations (Kubernetes CEL duration / Go ParseDuration)", () => {
  it.each([
    ["10s", 10_000],
    ["1.5s", 1500],
    ["250ms", 250],
    ["1h2m", 3_720_000],
    ["0", 0],
    ["0s", 0],
    ["500us", 0.5],
    ["", undefined],
    ["10", undefined],
    ["s", undefined],
    ["1x", undefined],
  ])("%s → %s", (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });
});

describe("destination shares", () => {
  it.each([
    [
      [{ w: 50 }, { w: 50 }],
      [0.5, 0.5],
    ],
    [
      [{ w: 1 }, { w: 3 }],
      [0.25, 0.75],
    ],
    [
      [{ w: undefined }, { w: 10 }],
      [0, 1],
    ],
    [[{ w: undefined }], [1]],
    [
      [{ w: 0 }, { w: 0 }],
      [0, 0],
    ],
  ])("%j → %j", (ws, shares) => {
    const route = ws.map((x) => ({
      destination: { host: "h" },
      ...(x.w === undefined ? {} : { weight: x.w }),
    }));
    expect(destinationShares(route)).toEqual(shares);
  });
});
