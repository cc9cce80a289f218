import { describe, expect, it } from "vitest";
import { destinationRule, versionSubsets, virtualService } from "../api/builders.js";
import { applyHeaderMutation, DEFAULT_ROUTE_NAME, evaluate } from "./evaluate.js";
import type { RouteRequest, RoutingResult, RoutingSnapshot } from "./result.js";
import type { HTTPRoute, VirtualServiceSpec } from "../api/types.js";

const FQDN = "order.default.svc.cluster.local";

function req(over: Partial<RouteRequest> = {}): RouteRequest {
  return { authority: "order", method: "GET", path: "/", headers: {}, gateway: "mesh", ...over };
}

function snap(http: HTTPRoute[], extra: Partial<VirtualServiceSpec> = {}): RoutingSnapshot {
  return {
    services: ["order", "item"],
    endpoints: [{ service: "order", port: 50051 }],
    virtualServices: [virtualService("order", { hosts: ["order"], http, ...extra })],
    destinationRules: [versionSubsets("order", ["v1", "v2"])],
  };
}

const to = (subset: string, name?: string): HTTPRoute => ({
  ...(name === undefined ? {} : { name }),
  route: [{ destination: { host: "order", subset } }],
});

/** `subset@routeName`, or `status flag` for a local reply. */
function outcome(r: RoutingResult): string {
  return r.kind === "forward" ? `${r.subset ?? "-"}@${r.routeName}` : `${String(r.status)} ${r.flag}`;
}

describe("route order and match blocks", () => {
  const routes: HTTPRoute[] = [
    { ...to("v2", "a"), match: [{ headers: { x: { exact: "1" } }, method: { exact: "POST" } }] },
    {
      ...to("v2", "b"),
      match: [
        { name: "m1", uri: { prefix: "/b" } },
        { name: "m2", headers: { y: {} } },
      ],
    },
    to("v1", "catch-all"),
    to("v2", "unreachable"),
  ];
  it.each([
    ["both conditions hold (AND)", { method: "POST", headers: { x: "1" } }, "v2@a"],
    ["only one condition holds", { method: "GET", headers: { x: "1" } }, "v1@catch-all"],
    ["first block of an OR", { path: "/b/1" }, "v2@b.m1"],
    ["second block of an OR", { headers: { y: "" } }, "v2@b.m2"],
    ["first match wins over a later one", { method: "POST", headers: { x: "1", y: "1" } }, "v2@a"],
    ["catch-all", {}, "v1@catch-all"],
  ])("%s", (_n, over, expected) => {
    expect(outcome(evaluate(snap(routes), req(over), () => 0))).toBe(expected);
  });

  it("an unnamed route with a named match is `.M`, as Istio names it", () => {
    const r = evaluate(snap([{ ...to("v1"), match: [{ name: "m", uri: { prefix: "/" } }] }]), req(), () => 0);
    expect(outcome(r)).toBe("v1@.m");
  });

  it("a request no route matches gets 404 NR, not the default route", () => {
    const r = evaluate(snap([{ ...to("v1", "only"), match: [{ uri: { exact: "/x" } }] }]), req(), () => 0);
    expect(outcome(r)).toBe("404 NR");
  });
});

describe("hosts and the default route", () => {
  it.each([
    ["short name", "order", "-@default"],
    ["short name with port", "order:50051", "-@default"],
    ["svc.ns", "order.default", "-@default"],
    ["FQDN", FQDN, "-@default"],
    ["unknown host", "nope", "404 NR"],
    ["service in another namespace", "order.other", "404 NR"],
  ])("no VirtualService: %s → %s", (_n, authority, expected) => {
    const s: RoutingSnapshot = { ...snap([]), virtualServices: [] };
    expect(outcome(evaluate(s, req({ authority }), () => 0))).toBe(expected);
  });

  it("the default route reaches every instance, on the service's port", () => {
    const s: RoutingSnapshot = { ...snap([]), virtualServices: [] };
    const r = evaluate(s, req(), () => 0);
    expect(r).toEqual({
      kind: "forward",
      routeName: DEFAULT_ROUTE_NAME,
      host: "order",
      port: 50051,
      cluster: `outbound|50051||${FQDN}`,
      endpointLabels: {},
      requestHeaders: { set: {}, add: {}, remove: [] },
      responseHeaders: { set: {}, add: {}, remove: [] },
    });
  });

  it("a VirtualService whose routes are all for another gateway leaves the sidecar on the default route", () => {
    const s = snap([{ ...to("v2", "gw"), match: [{ gateways: ["mesh-ingress"] }] }], {
      gateways: ["mesh", "mesh-ingress"],
    });
    expect(outcome(evaluate(s, req(), () => 0))).toBe("-@default");
  });

  it.each([
    ["wildcard host", ["*.default.svc.cluster.local"], "v2@w"],
    ["FQDN host", [FQDN], "v2@w"],
    ["other host", ["item"], "-@default"],
  ])("VirtualService with %s", (_n, hosts, expected) => {
    const s = snap([to("v2", "w")], { hosts });
    expect(outcome(evaluate(s, req(), () => 0))).toBe(expected);
  });

  it("an exact host beats a wildcard VirtualService", () => {
    const s: RoutingSnapshot = {
      ...snap([to("v1", "exact")]),
      virtualServices: [
        virtualService("wild", { hosts: ["*.svc.cluster.local"], http: [to("v2", "wild")] }),
        virtualService("order", { hosts: ["order"], http: [to("v1", "exact")] }),
      ],
    };
    expect(outcome(evaluate(s, req(), () => 0))).toBe("v1@exact");
  });

  it("a sidecar uses only the oldest of two VirtualServices for the same host", () => {
    const s: RoutingSnapshot = {
      ...snap([]),
      virtualServices: [
        virtualService("newer", { hosts: ["order"], http: [to("v2", "newer")] }, "default", {
          creationTimestamp: "2026-01-02T00:00:00Z",
        }),
        virtualService("older", { hosts: ["order"], http: [to("v1", "older")] }, "default", {
          creationTimestamp: "2026-01-01T00:00:00Z",
        }),
      ],
    };
    expect(outcome(evaluate(s, req(), () => 0))).toBe("v1@older");
  });

  it("exportTo '.' hides a VirtualService from other namespaces", () => {
    const s: RoutingSnapshot = { ...snap([to("v2", "private")], { exportTo: ["."] }), namespace: "other" };
    expect(outcome(evaluate(s, req({ authority: FQDN }), () => 0))).toBe("404 NR");
    expect(outcome(evaluate({ ...s, namespace: "default" }, req(), () => 0))).toBe("v2@private");
  });
});

describe("gateways", () => {
  it.each([
    ["VS without gateways is mesh-only", undefined, "mesh", "v1@r"],
    ["VS without gateways is not on a gateway", undefined, "default/ingress", "404 NR"],
    ["VS bound to a gateway by short name", ["ingress"], "default/ingress", "v1@r"],
    ["VS bound to a gateway is not on the mesh", ["ingress"], "mesh", "-@default"],
    ["VS bound by ns/name", ["istio-system/ingress"], "istio-system/ingress", "v1@r"],
  ])("%s", (_n, gateways, gateway, expected) => {
    const s = snap([to("v1", "r")], gateways === undefined ? {} : { gateways });
    expect(outcome(evaluate(s, req({ gateway }), () => 0))).toBe(expected);
  });
});

describe("sourceLabels and port", () => {
  const routes: HTTPRoute[] = [
    { ...to("v2", "from-api"), match: [{ sourceLabels: { app: "logistics-api" } }] },
    { ...to("v2", "port"), match: [{ port: 9090 }] },
    to("v1", "rest"),
  ];
  it.each([
    ["caller labels match", { sourceLabels: { app: "logistics-api", version: "v1" } }, "v2@from-api"],
    ["caller labels differ", { sourceLabels: { app: "other" } }, "v1@rest"],
    ["listener port matches", { port: 9090 }, "v2@port"],
  ])("%s", (_n, over, expected) => {
    expect(outcome(evaluate(snap(routes), req(over), () => 0))).toBe(expected);
  });
});

describe("weights", () => {
  const weighted = (w1: number | undefined, w2: number | undefined): HTTPRoute => ({
    name: "w",
    route: [
      { destination: { host: "order", subset: "v1" }, ...(w1 === undefined ? {} : { weight: w1 }) },
      { destination: { host: "order", subset: "v2" }, ...(w2 === undefined ? {} : { weight: w2 }) },
    ],
  });
  it.each([
    ["omitted weight is 0 with several destinations", weighted(undefined, 10), 0, "v2@w"],
    ["omitted weight is 0, other draw", weighted(undefined, 10), 0.99, "v2@w"],
    ["shares are weight ÷ total (1:3, low draw)", weighted(1, 3), 0.24, "v1@w"],
    ["shares are weight ÷ total (1:3, high draw)", weighted(1, 3), 0.26, "v2@w"],
    ["all weights zero: no cluster", weighted(0, 0), 0.5, "503 NC"],
    ["single destination without weight gets 100", to("v2", "w"), 0.99, "v2@w"],
    [
      "single destination with weight 0 still gets everything",
      { name: "w", route: [{ destination: { host: "order", subset: "v2" }, weight: 0 }] },
      0.5,
      "v2@w",
    ],
  ])("%s", (_n, route, random, expected) => {
    expect(outcome(evaluate(snap([route]), req(), () => random))).toBe(expected);
  });
});

describe("DestinationRule subsets", () => {
  it("a subset missing from the DestinationRule is 503 NC", () => {
    expect(outcome(evaluate(snap([to("v3", "r")]), req(), () => 0))).toBe("503 NC");
  });
  it("a subset with no DestinationRule at all is 503 NC", () => {
    const s: RoutingSnapshot = { ...snap([to("v1", "r")]), destinationRules: [] };
    expect(outcome(evaluate(s, req(), () => 0))).toBe("503 NC");
  });
  it("a destination to a host that does not exist is 503 NC", () => {
    const s = snap([{ name: "r", route: [{ destination: { host: "ghost" } }] }]);
    expect(outcome(evaluate(s, req(), () => 0))).toBe("503 NC");
  });
  it("a destination without subset selects every instance", () => {
    const s = snap([{ name: "r", route: [{ destination: { host: "order" } }] }]);
    expect(evaluate(s, req(), () => 0)).toMatchObject({
      endpointLabels: {},
      cluster: `outbound|50051||${FQDN}`,
    });
  });
  it("subset labels and an explicit destination port form the cluster", () => {
    const s: RoutingSnapshot = {
      ...snap([
        { name: "r", route: [{ destination: { host: "order", subset: "canary", port: { number: 8080 } } }] },
      ]),
      destinationRules: [
        destinationRule("order", {
          host: FQDN,
          subsets: [{ name: "canary", labels: { version: "v2", track: "c" } }],
        }),
      ],
    };
    expect(evaluate(s, req(), () => 0)).toMatchObject({
      cluster: `outbound|8080|canary|${FQDN}`,
      port: 8080,
      endpointLabels: { version: "v2", track: "c" },
    });
  });
});

describe("header operations", () => {
  const base = { "x-a": "1", "x-b": "2", "x-gone": "z" };
  function headersAfter(route: HTTPRoute, random = 0): Record<string, string> {
    const r = evaluate(snap([route]), req({ headers: base }), () => random);
    if (r.kind !== "forward") throw new Error(`expected forward, got ${JSON.stringify(r)}`);
    return applyHeaderMutation(base, r.requestHeaders);
  }
  it("route-level set, add and remove", () => {
    const out = headersAfter({
      ...to("v1", "r"),
      headers: { request: { set: { "X-A": "new" }, add: { "x-b": "more", "x-c": "3" }, remove: ["X-Gone"] } },
    });
    expect(out).toEqual({ "x-a": "new", "x-b": "2, more", "x-c": "3" });
  });
  it("a single destination's set wins over the route's (same parser, appended after)", () => {
    const out = headersAfter({
      name: "r",
      headers: { request: { set: { "x-v": "route" } } },
      route: [
        { destination: { host: "order", subset: "v1" }, headers: { request: { set: { "x-v": "dest" } } } },
      ],
    });
    expect(out["x-v"]).toBe("dest");
  });
  it("with weighted destinations the route's set wins (cluster-level runs first)", () => {
    const out = headersAfter({
      name: "r",
      headers: { request: { set: { "x-v": "route" } } },
      route: [
        {
          destination: { host: "order", subset: "v1" },
          weight: 50,
          headers: { request: { set: { "x-v": "dest" } } },
        },
        { destination: { host: "order", subset: "v2" }, weight: 50 },
      ],
    });
    expect(out["x-v"]).toBe("route");
  });
  it(":authority and host are never mutated; they become an authority rewrite", () => {
    const r = evaluate(
      snap([{ ...to("v1", "r"), headers: { request: { set: { host: "elsewhere", ":path": "/x" } } } }]),
      req(),
      () => 0,
    );
    expect(r).toMatchObject({ rewrittenAuthority: "elsewhere", requestHeaders: { set: {} } });
  });
  describe("a destination's :authority when the route splits traffic (weighted cluster host_rewrite_literal)", () => {
    const split = (routeHeaders?: HTTPRoute["headers"], rewrite?: HTTPRoute["rewrite"]): HTTPRoute => ({
      name: "split",
      ...(routeHeaders === undefined ? {} : { headers: routeHeaders }),
      ...(rewrite === undefined ? {} : { rewrite }),
      route: [
        {
          destination: { host: "order", subset: "v1" },
          weight: 50,
          headers: { request: { set: { ":authority": "order-v1.internal" } } },
        },
        {
          destination: { host: "order", subset: "v2" },
          weight: 50,
          headers: { request: { set: { host: "order-v2.internal", "x-dest": "v2" } } },
        },
      ],
    });
    it.each([
      ["the first destination chosen", 0.2, "v1", "order-v1.internal"],
      ["the second destination chosen", 0.7, "v2", "order-v2.internal"],
    ])("%s sends its own authority", (_n, random, subset, authority) => {
      const r = evaluate(snap([split()]), req(), () => random);
      expect(r).toMatchObject({ kind: "forward", subset, rewrittenAuthority: authority });
    });
    it("keeps the chosen destination's other header operations, without :authority/host", () => {
      const r = evaluate(snap([split()]), req(), () => 0.7);
      expect(r).toMatchObject({ requestHeaders: { set: { "x-dest": "v2" } } });
      if (r.kind !== "forward") throw new Error("expected forward");
      expect(Object.keys(r.requestHeaders.set)).toEqual(["x-dest"]);
    });
    it("a destination without an authority leaves the request's own", () => {
      const first = split().route?.[0];
      if (first === undefined) throw new Error("no destination");
      const r = evaluate(
        snap([
          { name: "split", route: [first, { destination: { host: "order", subset: "v2" }, weight: 50 }] },
        ]),
        req(),
        () => 0.7,
      );
      expect(r).toMatchObject({ kind: "forward", subset: "v2" });
      expect(r).not.toHaveProperty("rewrittenAuthority");
    });
    it.each([
      ["the route's :authority set", { request: { set: { ":authority": "route.internal" } } }, undefined],
      ["the route's rewrite.authority", undefined, { authority: "route.internal" }],
    ])("%s still wins (Envoy applies the route's rewrite after the cluster's)", (_n, headers, rewrite) => {
      const r = evaluate(snap([split(headers, rewrite)]), req(), () => 0.2);
      expect(r).toMatchObject({ subset: "v1", rewrittenAuthority: "route.internal" });
    });
  });
  it("directResponse carries the route's response header operations", () => {
    const r = evaluate(
      snap([
        {
          name: "d",
          directResponse: { status: 418, body: { bytes: Buffer.from("teapot").toString("base64") } },
          headers: { response: { set: { "x-d": "1" } } },
        },
      ]),
      req(),
      () => 0,
    );
    expect(r).toMatchObject({
      kind: "local-reply",
      status: 418,
      flag: "DR",
      body: "teapot",
      routeName: "d",
      responseHeaders: { set: { "x-d": "1" } },
    });
  });
});

describe("timeouts, retries, rewrites", () => {
  it("passes the retry policy and the timeout in ms", () => {
    const r = evaluate(
      snap([{ ...to("v1", "r"), timeout: "1.5s", retries: { attempts: 3, retryOn: "5xx" } }]),
      req(),
      () => 0,
    );
    expect(r).toMatchObject({ timeoutMs: 1500, retries: { attempts: 3, retryOn: "5xx" } });
  });
  it("a 0s timeout means none", () => {
    const r = evaluate(snap([{ ...to("v1", "r"), timeout: "0s" }]), req(), () => 0);
    expect(r.kind).toBe("forward");
    expect(r).not.toHaveProperty("timeoutMs");
  });
  it("uriRegexRewrite replaces with RE2 groups and keeps the query", () => {
    const r = evaluate(
      snap([
        {
          ...to("v1", "r"),
          rewrite: { uriRegexRewrite: { match: "^/service/([^/]+)(/.*)$", rewrite: "\\2/instance/\\1" } },
        },
      ]),
      req({ path: "/service/foo/v1/api?x=1" }),
      () => 0,
    );
    expect(r).toMatchObject({ rewrittenPath: "/v1/api/instance/foo?x=1" });
  });
});

describe("gateway merging", () => {
  it("a gateway merges the routes of every VirtualService for the host, oldest first", () => {
    const s: RoutingSnapshot = {
      services: ["order"],
      virtualServices: [
        virtualService(
          "second",
          {
            hosts: ["shop.example.com"],
            gateways: ["ingress"],
            http: [{ name: "b", route: [{ destination: { host: "order" } }] }],
          },
          "default",
          { creationTimestamp: "2026-01-02T00:00:00Z" },
        ),
        virtualService(
          "first",
          {
            hosts: ["shop.example.com"],
            gateways: ["ingress"],
            http: [
              { name: "a", match: [{ uri: { prefix: "/a" } }], route: [{ destination: { host: "order" } }] },
            ],
          },
          "default",
          { creationTimestamp: "2026-01-01T00:00:00Z" },
        ),
      ],
      destinationRules: [],
    };
    const at = (path: string): string =>
      outcome(
        evaluate(s, req({ gateway: "default/ingress", authority: "shop.example.com:8080", path }), () => 0),
      );
    expect([at("/a/1"), at("/b")]).toEqual(["-@a", "-@b"]);
  });
});
