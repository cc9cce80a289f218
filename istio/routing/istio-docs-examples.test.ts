/**
 * Examples from Istio's documentation, evaluated as Istio + Envoy would route them.
 * Sources (istio.io, "latest" docs):
 *  - RT: Tasks › Traffic Management › Request Routing (docs/tasks/traffic-management/request-routing/)
 *  - TS: Tasks › Traffic Management › Traffic Shifting (docs/tasks/traffic-management/traffic-shifting/)
 *  - VSR: Reference › Configuration › Networking › Virtual Service (docs/reference/config/networking/virtual-service/)
 */
import { describe, expect, it } from "vitest";
import { destinationRule, versionSubsets, virtualService } from "../api/builders.js";
import { evaluate } from "./evaluate.js";
import type { RouteRequest, RoutingResult, RoutingSnapshot } from "./result.js";

const bookinfo = ["productpage", "reviews", "ratings", "details"];

function req(over: Partial<RouteRequest>): RouteRequest {
  return { authority: "reviews:9080", method: "GET", path: "/", headers: {}, gateway: "mesh", ...over };
}

function summary(r: RoutingResult): string {
  return r.kind === "forward"
    ? `${r.cluster} route=${r.routeName}`
    : `${String(r.status)} ${r.flag}${r.body === undefined ? "" : ` ${r.body}`}`;
}

// RT: virtual-service-reviews-test-v2.yaml + destination-rule-all.yaml
const requestRouting: RoutingSnapshot = {
  services: bookinfo,
  endpoints: [{ service: "reviews", port: 9080 }],
  virtualServices: [
    virtualService("reviews", {
      hosts: ["reviews"],
      http: [
        {
          match: [{ headers: { "end-user": { exact: "jason" } } }],
          route: [{ destination: { host: "reviews", subset: "v2" } }],
        },
        { route: [{ destination: { host: "reviews", subset: "v1" } }] },
      ],
    }),
  ],
  destinationRules: [versionSubsets("reviews", ["v1", "v2", "v3"])],
};

describe("RT: request routing by end-user header", () => {
  it.each([
    [
      "jason gets reviews v2",
      { "end-user": "jason" },
      "outbound|9080|v2|reviews.default.svc.cluster.local route=",
    ],
    ["anonymous gets v1", {}, "outbound|9080|v1|reviews.default.svc.cluster.local route="],
    [
      "header values are case-sensitive",
      { "end-user": "Jason" },
      "outbound|9080|v1|reviews.default.svc.cluster.local route=",
    ],
    [
      "another user gets v1",
      { "end-user": "json" },
      "outbound|9080|v1|reviews.default.svc.cluster.local route=",
    ],
  ])("%s", (_name, headers, expected) => {
    expect(summary(evaluate(requestRouting, req({ headers }), () => 0))).toBe(expected);
  });

  it("the subset resolves to the DestinationRule's labels", () => {
    const r = evaluate(requestRouting, req({ headers: { "end-user": "jason" } }), () => 0);
    expect(r).toMatchObject({
      kind: "forward",
      host: "reviews",
      subset: "v2",
      endpointLabels: { version: "v2" },
    });
  });
});

// TS: virtual-service-reviews-50-v3.yaml
describe("TS: traffic shifting 50/50 between v1 and v3", () => {
  const snap: RoutingSnapshot = {
    ...requestRouting,
    virtualServices: [
      virtualService("reviews", {
        hosts: ["reviews"],
        http: [
          {
            route: [
              { destination: { host: "reviews", subset: "v1" }, weight: 50 },
              { destination: { host: "reviews", subset: "v3" }, weight: 50 },
            ],
          },
        ],
      }),
    ],
  };
  it.each([
    [0, "v1"],
    [0.49, "v1"],
    [0.5, "v3"],
    [0.99, "v3"],
  ])("random %f → %s", (random, subset) => {
    expect(evaluate(snap, req({}), () => random)).toMatchObject({ subset });
  });
  it("splits about evenly over many requests", () => {
    let seed = 1;
    const lcg = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
    let v3 = 0;
    for (let i = 0; i < 2000; i++) {
      const r = evaluate(snap, req({}), lcg);
      if (r.kind === "forward" && r.subset === "v3") v3++;
    }
    expect(v3 / 2000).toBeGreaterThan(0.45);
    expect(v3 / 2000).toBeLessThan(0.55);
  });
});

// VSR: the introductory example (reviews-route, two named routes, OR of match blocks, rewrite)
describe("VSR: reviews-route with wpcatalog / consumercatalog", () => {
  const snap: RoutingSnapshot = {
    namespace: "prod",
    services: ["reviews"],
    virtualServices: [
      virtualService(
        "reviews-route",
        {
          hosts: ["reviews.prod.svc.cluster.local"],
          http: [
            {
              name: "reviews-v2-routes",
              match: [{ uri: { prefix: "/wpcatalog" } }, { uri: { prefix: "/consumercatalog" } }],
              rewrite: { uri: "/newcatalog" },
              route: [{ destination: { host: "reviews.prod.svc.cluster.local", subset: "v2" } }],
            },
            {
              name: "reviews-v1-route",
              route: [{ destination: { host: "reviews.prod.svc.cluster.local", subset: "v1" } }],
            },
          ],
        },
        "prod",
      ),
    ],
    destinationRules: [
      destinationRule(
        "reviews-destination",
        {
          host: "reviews.prod.svc.cluster.local",
          subsets: [
            { name: "v1", labels: { version: "v1" } },
            { name: "v2", labels: { version: "v2" } },
          ],
        },
        "prod",
      ),
    ],
  };
  it.each([
    ["/wpcatalog/item", "v2", "reviews-v2-routes", "/newcatalog/item"],
    ["/consumercatalog", "v2", "reviews-v2-routes", "/newcatalog"],
    ["/other", "v1", "reviews-v1-route", undefined],
  ])("%s → %s by %s", (path, subset, routeName, rewritten) => {
    const r = evaluate(snap, req({ authority: "reviews.prod.svc.cluster.local", path }), () => 0);
    expect(r).toMatchObject({ kind: "forward", subset, routeName, vs: "prod/reviews-route" });
    if (r.kind === "forward") expect(r.rewrittenPath).toBe(rewritten);
  });
});

// VSR: HTTPMatchRequest example (ratings-route: end-user jason AND uri prefix, ignoreUriCase)
describe("VSR: ratings-route, conditions in one block are ANDed", () => {
  const snap: RoutingSnapshot = {
    namespace: "prod",
    services: ["ratings"],
    virtualServices: [
      virtualService(
        "ratings-route",
        {
          hosts: ["ratings.prod.svc.cluster.local"],
          http: [
            {
              match: [
                {
                  headers: { "end-user": { exact: "jason" } },
                  uri: { prefix: "/ratings/v2/" },
                  ignoreUriCase: true,
                },
              ],
              route: [{ destination: { host: "ratings.prod.svc.cluster.local" } }],
            },
          ],
        },
        "prod",
      ),
    ],
    destinationRules: [],
  };
  it.each([
    ["/ratings/v2/1", { "end-user": "jason" }, "outbound|80||ratings.prod.svc.cluster.local route="],
    ["/RATINGS/V2/1", { "end-user": "jason" }, "outbound|80||ratings.prod.svc.cluster.local route="],
    ["/ratings/v2/1", {}, "404 NR"],
    ["/ratings/v1/1", { "end-user": "jason" }, "404 NR"],
  ])("%s %j → %s", (path, headers, expected) => {
    const r = evaluate(snap, req({ authority: "ratings.prod.svc.cluster.local", path, headers }), () => 0);
    expect(summary(r)).toBe(expected);
  });
});

// VSR: Headers example (request set at route level, response remove at destination level)
describe("VSR: header manipulation at route and destination level", () => {
  const snap: RoutingSnapshot = {
    namespace: "prod",
    services: ["reviews"],
    virtualServices: [
      virtualService(
        "reviews-route",
        {
          hosts: ["reviews.prod.svc.cluster.local"],
          http: [
            {
              headers: { request: { set: { test: "true" } } },
              route: [
                { destination: { host: "reviews.prod.svc.cluster.local", subset: "v2" }, weight: 25 },
                {
                  destination: { host: "reviews.prod.svc.cluster.local", subset: "v1" },
                  headers: { response: { remove: ["foo"] } },
                  weight: 75,
                },
              ],
            },
          ],
        },
        "prod",
      ),
    ],
    destinationRules: [versionSubsets("reviews.prod.svc.cluster.local", ["v1", "v2"], "prod")],
  };
  it.each([
    [0.1, "v2", []],
    [0.5, "v1", ["foo"]],
  ])("random %f → %s, response removes %j", (random, subset, removed) => {
    const r = evaluate(snap, req({ authority: "reviews.prod.svc.cluster.local" }), () => random);
    expect(r).toMatchObject({
      subset,
      requestHeaders: { set: { test: "true" } },
      responseHeaders: { remove: removed },
    });
  });
});

// VSR: HTTPDirectResponse and HTTPRedirect examples
describe("VSR: direct response and redirect", () => {
  const snap: RoutingSnapshot = {
    services: ["ratings"],
    virtualServices: [
      virtualService("ratings-route", {
        hosts: ["ratings.prod.svc.cluster.local"],
        http: [
          {
            match: [{ uri: { exact: "/v1/getProductRatings" } }],
            redirect: { uri: "/v1/bookRatings", authority: "newratings.default.svc.cluster.local" },
          },
          {
            match: [{ uri: { prefix: "/v1/getProductRatings" } }],
            directResponse: { status: 503, body: { string: "unknown error" } },
          },
        ],
      }),
    ],
    destinationRules: [],
  };
  it("redirects the exact path with 301 and a Location", () => {
    const r = evaluate(
      snap,
      req({ authority: "ratings.prod.svc.cluster.local", path: "/v1/getProductRatings" }),
      () => 0,
    );
    expect(r).toEqual(
      expect.objectContaining({
        kind: "local-reply",
        status: 301,
        flag: "DR",
        location: "http://newratings.default.svc.cluster.local/v1/bookRatings",
      }),
    );
  });
  it("answers longer paths with the direct response", () => {
    const r = evaluate(
      snap,
      req({ authority: "ratings.prod.svc.cluster.local", path: "/v1/getProductRatings/7" }),
      () => 0,
    );
    expect(summary(r)).toBe("503 DR unknown error");
  });
});

// VSR: gateways field ("mesh" plus a gateway) and match-level gateways overriding it
describe("VSR: gateway binding", () => {
  const snap: RoutingSnapshot = {
    services: bookinfo,
    virtualServices: [
      virtualService("bookinfo", {
        hosts: ["bookinfo.com", "reviews"],
        gateways: ["bookinfo-gateway", "mesh"],
        http: [
          {
            name: "ingress-only",
            match: [{ gateways: ["bookinfo-gateway"], uri: { prefix: "/reviews" } }],
            route: [{ destination: { host: "reviews", subset: "v2" } }],
          },
          { name: "everyone", route: [{ destination: { host: "reviews", subset: "v1" } }] },
        ],
      }),
    ],
    destinationRules: [versionSubsets("reviews", ["v1", "v2"])],
  };
  it.each([
    ["ingress", "default/bookinfo-gateway", "bookinfo.com", "ingress-only"],
    ["sidecar", "mesh", "reviews", "everyone"],
    ["other gateway", "default/other-gateway", "bookinfo.com", undefined],
  ])("%s", (_n, gateway, authority, routeName) => {
    const r = evaluate(snap, req({ gateway, authority, path: "/reviews/1" }), () => 0);
    if (routeName === undefined) expect(summary(r)).toBe("404 NR");
    else expect(r).toMatchObject({ kind: "forward", routeName });
  });
});
