/**
 * Fault injection as Istio + Envoy run it. Examples from istio.io ("latest" docs):
 *  - FI: Tasks › Traffic Management › Fault Injection (virtual-service-ratings-test-delay.yaml and
 *    virtual-service-ratings-test-abort.yaml; the task's 7 s delay is 200 ms here)
 *  - VSR: Reference › Configuration › Networking › Virtual Service (HTTPFaultInjection.Delay/Abort)
 */
import { describe, expect, it } from "vitest";
import { versionSubsets, virtualService } from "../api/builders.js";
import { evaluate } from "./evaluate.js";
import { percentEnabled, rollFault, translateFault, type EnvoyHttpFault } from "./fault.js";
import type { RouteRequest, RoutingResult, RoutingSnapshot } from "./result.js";
import type { HTTPFaultInjection, HTTPRoute } from "../api/types.js";

const bookinfo = ["productpage", "reviews", "ratings", "details"];

function req(over: Partial<RouteRequest> = {}): RouteRequest {
  return {
    authority: "ratings:9080",
    method: "GET",
    path: "/ratings/0",
    headers: {},
    gateway: "mesh",
    ...over,
  };
}

function ratings(http: HTTPRoute[]): RoutingSnapshot {
  return {
    services: bookinfo,
    endpoints: [{ service: "ratings", port: 9080 }],
    virtualServices: [virtualService("ratings", { hosts: ["ratings"], http })],
    destinationRules: [versionSubsets("ratings", ["v1", "v2"])],
  };
}

/** A random source that returns the given values in turn (then fails: no unexpected draws). */
function draws(...values: number[]): () => number {
  let i = 0;
  return () => {
    const v = values[i++];
    if (v === undefined) throw new Error(`unexpected random draw #${String(i)}`);
    return v;
  };
}

/** The weighted pick (one draw, even for a single destination), then the fault's rolls. */
function picked(...values: number[]): () => number {
  return draws(0, ...values);
}

function faultOf(r: RoutingResult): unknown {
  return r.fault;
}

const toV1: HTTPRoute["route"] = [{ destination: { host: "ratings", subset: "v1" } }];
const jason = { headers: { "end-user": "jason" } };

describe("FI: the fault-injection task", () => {
  // FI virtual-service-ratings-test-delay.yaml
  const delay = ratings([
    {
      match: [{ headers: { "end-user": { exact: "jason" } } }],
      fault: { delay: { percentage: { value: 100.0 }, fixedDelay: "200ms" } },
      route: toV1,
    },
    { route: toV1 },
  ]);
  // FI virtual-service-ratings-test-abort.yaml
  const abort = ratings([
    {
      match: [{ headers: { "end-user": { exact: "jason" } } }],
      fault: { abort: { percentage: { value: 100.0 }, httpStatus: 500 } },
      route: toV1,
    },
    { route: toV1 },
  ]);
  it("delays jason's requests by the fixed delay, still forwarded to ratings v1", () => {
    const r = evaluate(delay, req(jason), picked());
    expect(r).toMatchObject({ kind: "forward", subset: "v1", fault: { delayMs: 200 } });
    expect(r.fault).not.toHaveProperty("abort");
  });
  it("leaves other users' requests alone", () => {
    const r = evaluate(delay, req(), picked());
    expect(r).toMatchObject({ kind: "forward", subset: "v1" });
    expect(r).not.toHaveProperty("fault");
  });
  it("aborts jason's requests with HTTP 500 and no delay", () => {
    const r = evaluate(abort, req(jason), picked());
    expect(faultOf(r)).toEqual({ abort: { httpStatus: 500 } });
  });
  it("does not abort other users' requests", () => {
    expect(evaluate(abort, req(), picked())).not.toHaveProperty("fault");
  });
});

describe("VSR: percentages (Envoy rolls in millionths)", () => {
  // VSR HTTPFaultInjection.Abort: "HTTP 400 error code for 1 out of every 1000 requests".
  const oneInThousand = ratings([
    { route: toV1, fault: { abort: { percentage: { value: 0.1 }, httpStatus: 400 } } },
  ]);
  it.each([
    [0, true],
    [0.000_999, true],
    [0.001, false],
    [0.5, false],
  ])("random %f → aborted %s", (random, aborted) => {
    const r = evaluate(oneInThousand, req(), picked(random));
    expect(r.fault?.abort?.httpStatus === 400).toBe(aborted);
  });
  it.each<[string, HTTPFaultInjection, object | undefined]>([
    ["abort at 0 % never fires", { abort: { httpStatus: 503, percentage: { value: 0 } } }, undefined],
    [
      "abort at 100 % always fires",
      { abort: { httpStatus: 503, percentage: { value: 100 } } },
      { abort: { httpStatus: 503 } },
    ],
    // istio/istio#36303, #39969: Envoy's default 0 %, whatever the reference says.
    ["abort without a percentage never fires", { abort: { httpStatus: 503 } }, undefined],
    ["delay at 0 % never fires", { delay: { fixedDelay: "200ms", percentage: { value: 0 } } }, undefined],
    [
      "delay at 100 % always fires",
      { delay: { fixedDelay: "200ms", percentage: { value: 100 } } },
      { delayMs: 200 },
    ],
    [
      "delay by the deprecated integer percent",
      { delay: { fixedDelay: "0.2s", percent: 100 } },
      { delayMs: 200 },
    ],
    ["delay without any percentage never fires", { delay: { fixedDelay: "200ms" } }, undefined],
  ])("%s", (_n, fault, expected) => {
    // 0.999… would pass any percentage under 100 %: only 100 % fires.
    const r = evaluate(ratings([{ route: toV1, fault }]), req(), () => 0.999_999_9);
    expect(r.fault).toEqual(expected);
  });
});

describe("delay then abort", () => {
  const both = ratings([
    {
      route: toV1,
      fault: {
        delay: { fixedDelay: "200ms", percentage: { value: 50 } },
        abort: { httpStatus: 503, percentage: { value: 50 } },
      },
    },
  ]);
  it.each([
    ["both fire", [0.1, 0.1], { delayMs: 200, abort: { httpStatus: 503 } }],
    ["only the delay", [0.1, 0.9], { delayMs: 200 }],
    ["only the abort", [0.9, 0.1], { abort: { httpStatus: 503 } }],
    ["neither", [0.9, 0.9], undefined],
  ])("%s (the delay is rolled first, then the abort)", (_n, values, expected) => {
    const r = evaluate(both, req(), picked(...values));
    expect(r.kind).toBe("forward");
    expect(r.fault).toEqual(expected);
  });
  it("the weighted destination is picked before the fault is rolled", () => {
    const split = ratings([
      {
        route: [
          { destination: { host: "ratings", subset: "v1" }, weight: 50 },
          { destination: { host: "ratings", subset: "v2" }, weight: 50 },
        ],
        fault: { abort: { httpStatus: 503, percentage: { value: 50 } } },
      },
    ]);
    expect(evaluate(split, req(), draws(0.9, 0.1))).toMatchObject({
      subset: "v2",
      fault: { abort: { httpStatus: 503 } },
    });
  });
});

describe("gRPC and other abort kinds", () => {
  it("grpcStatus aborts with HTTP 200 and the named gRPC code (sent trailers-only)", () => {
    const s: RoutingSnapshot = {
      services: ["order"],
      endpoints: [{ service: "order", port: 50051 }],
      virtualServices: [
        virtualService("order", {
          hosts: ["order"],
          http: [
            {
              match: [{ uri: { prefix: "/tranquil.meshtest.v1.Echo/" } }],
              fault: { abort: { grpcStatus: "UNAVAILABLE", percentage: { value: 100 } } },
              route: [{ destination: { host: "order" } }],
            },
          ],
        }),
      ],
      destinationRules: [],
    };
    const r = evaluate(
      s,
      {
        authority: "order:50051",
        method: "POST",
        path: "/tranquil.meshtest.v1.Echo/Call",
        headers: {},
        gateway: "mesh",
      },
      picked(),
    );
    expect(r).toMatchObject({ kind: "forward", fault: { abort: { httpStatus: 200, grpcStatus: 14 } } });
  });
  it.each<[string, HTTPFaultInjection]>([
    [
      "http2Error (Istio writes no abort for it)",
      { abort: { http2Error: "REFUSED_STREAM", percentage: { value: 100 } } },
    ],
    ["an unknown gRPC status name", { abort: { grpcStatus: "NOPE", percentage: { value: 100 } } }],
    [
      "an exponentialDelay (Istio drops it)",
      { delay: { exponentialDelay: "1s", percentage: { value: 100 } } },
    ],
  ])("%s injects nothing", (_n, fault) => {
    expect(translateFault(fault)).toBeUndefined();
    expect(evaluate(ratings([{ route: toV1, fault }]), req(), picked())).not.toHaveProperty("fault");
  });
});

describe("where the fault filter runs", () => {
  const abortAll = { abort: { httpStatus: 418, percentage: { value: 100 } } };
  it("on a direct-response route, before the router answers", () => {
    const r = evaluate(ratings([{ directResponse: { status: 200 }, fault: abortAll }]), req(), draws());
    expect(r).toMatchObject({ kind: "local-reply", flag: "DR", fault: { abort: { httpStatus: 418 } } });
  });
  it("on a route whose subset is missing (the router would answer 503 NC)", () => {
    const r = evaluate(
      ratings([{ route: [{ destination: { host: "ratings", subset: "v9" } }], fault: abortAll }]),
      req(),
      picked(),
    );
    expect(r).toMatchObject({ kind: "local-reply", flag: "NC", fault: { abort: { httpStatus: 418 } } });
  });
  it("never without a route (404 NR)", () => {
    const r = evaluate(
      ratings([{ match: [{ uri: { exact: "/only" } }], route: toV1, fault: abortAll }]),
      req(),
      draws(),
    );
    expect(r).toEqual({ kind: "local-reply", status: 404, flag: "NR" });
  });
});

describe("translateFault (istiod's per-route HTTPFault)", () => {
  it.each<[string, HTTPFaultInjection, EnvoyHttpFault]>([
    [
      "percentage in millionths, truncated",
      {
        delay: { fixedDelay: "5s", percentage: { value: 0.1 } },
        abort: { httpStatus: 400, percentage: { value: 33.33333 } },
      },
      {
        delay: { fixedDelayMs: 5000, percentage: { numerator: 1000, denominator: "MILLION" } },
        abort: { httpStatus: 400, percentage: { numerator: 333_333, denominator: "MILLION" } },
      },
    ],
    [
      "the integer percent in hundredths",
      { delay: { fixedDelay: "200ms", percent: 25 } },
      { delay: { fixedDelayMs: 200, percentage: { numerator: 25, denominator: "HUNDRED" } } },
    ],
    [
      "an abort without percentage keeps none",
      { abort: { grpcStatus: "INTERNAL" } },
      { abort: { grpcStatus: 13 } },
    ],
  ])("%s", (_n, fault, expected) => {
    expect(translateFault(fault)).toEqual(expected);
  });
  it("rollFault skips a 0 ms delay (Envoy delays only when longer than 0 ms)", () => {
    expect(
      rollFault(translateFault({ delay: { fixedDelay: "0s", percentage: { value: 100 } } }), draws()),
    ).toBeUndefined();
  });
  it("percentEnabled compares the random value modulo the denominator with the numerator", () => {
    expect(percentEnabled({ numerator: 1, denominator: "HUNDRED" }, () => 0.0099)).toBe(true);
    expect(percentEnabled({ numerator: 1, denominator: "HUNDRED" }, () => 0.01)).toBe(false);
    expect(percentEnabled(undefined, draws())).toBe(false);
  });
});
