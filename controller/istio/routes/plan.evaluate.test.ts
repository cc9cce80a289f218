/**
 * The planned routes, evaluated by the istio/ routing evaluator (RE2 full match, first match
 * wins, gateway bindings): enrolled requests reach new, the rest old, pinned ids old.
 */
import { describe, expect, it } from "vitest";
import { versionSubsets, virtualService } from "../../../istio/api/builders.js";
import { evaluate, type RouteRequest, type RoutingResult } from "../../../istio/routing/evaluate.js";
import type { VirtualService } from "../../../istio/api/types.js";
import type { RoutePlanIntent } from "../../engine/types.js";
import { planVirtualServices } from "./plan-virtual-services.js";
import { SENTINEL_HEADER, sentinelValue } from "./names.js";

const PINNED = "11111111-2222-4333-8444-555555555555";
const OTHER = "99999999-2222-4333-8444-555555555555";

const userRoutes: VirtualService[] = [
  // A user route without a subset, behind a header route: the usual shape.
  virtualService("reviews", {
    hosts: ["reviews"],
    http: [
      {
        name: "beta",
        match: [{ headers: { "x-beta": { exact: "1" } } }],
        route: [{ destination: { host: "reviews" } }],
      },
      { name: "main", route: [{ destination: { host: "reviews" } }] },
    ],
  }),
  virtualService("shop", {
    hosts: ["shop.example.com"],
    gateways: ["istio-system/ingress"],
    http: [
      {
        name: "reviews",
        match: [{ uri: { prefix: "/reviews" } }],
        route: [{ destination: { host: "reviews" } }],
      },
    ],
  }),
];

function routed(intent: RoutePlanIntent, req: Partial<RouteRequest>): string {
  const plan = planVirtualServices({
    upgradeId: "up1",
    namespace: "default",
    services: [{ name: "reviews", from: "v1", to: "v2" }],
    intent,
    epoch: 2,
    enrolmentHeader: "x-tranquil-release",
    virtualServices: userRoutes,
  });
  const byName = new Map(userRoutes.map((vs) => [vs.metadata.name, vs]));
  for (const vs of plan.upserts) byName.set(vs.metadata.name, vs);
  const r: RoutingResult = evaluate(
    {
      services: ["reviews"],
      virtualServices: [...byName.values()],
      destinationRules: [versionSubsets("reviews", ["v1", "v2"])],
    },
    { authority: "reviews", method: "GET", path: "/", headers: {}, gateway: "mesh", ...req },
    () => 0,
  );
  return r.kind === "forward" ? (r.subset ?? "any") : `${r.status} ${r.flag}`;
}

const doorOpen: RoutePlanIntent = { mode: "doorOpen", sentinel: true, pins: [PINNED] };
const flipped: RoutePlanIntent = { mode: "flipped", sentinel: true, pins: [PINNED] };

describe("planned routes, evaluated", () => {
  it.each<[string, RoutePlanIntent, Partial<RouteRequest>, string]>([
    [
      "held: everyone to old",
      { mode: "held", sentinel: true, pins: [] },
      { headers: { "x-tranquil-release": "up1" } },
      "v1",
    ],
    ["door open: enrolled to new", doorOpen, { headers: { "x-tranquil-release": "up1" } }, "v2"],
    ["door open: enrolled in a list", doorOpen, { headers: { "x-tranquil-release": "other, up1 ,x" } }, "v2"],
    ["door open: another id is not enrolment", doorOpen, { headers: { "x-tranquil-release": "up10" } }, "v1"],
    [
      "door open: a prefix of the id is not enrolment",
      doorOpen,
      { headers: { "x-tranquil-release": "up" } },
      "v1",
    ],
    ["door open: non-enrolled to old", doorOpen, {}, "v1"],
    [
      "door open: user's header route keeps its match",
      doorOpen,
      { headers: { "x-beta": "1", "x-tranquil-release": "up1" } },
      "v2",
    ],
    ["door open: pinned id to old", doorOpen, { headers: { "x-request-id": PINNED } }, "v1"],
    ["flipped: non-enrolled to new", flipped, { headers: { "x-request-id": OTHER } }, "v2"],
    ["flipped: pinned id stays on old", flipped, { headers: { "x-request-id": PINNED } }, "v1"],
    [
      "flipped: enrolled beats a pin",
      flipped,
      { headers: { "x-request-id": PINNED, "x-tranquil-release": "up1" } },
      "v2",
    ],
    [
      "finalized: a user route without a subset reaches every instance (only new is left)",
      { mode: "finalized", sentinel: true, pins: [] },
      {},
      "any",
    ],
    [
      "gateway: enrolled to new",
      doorOpen,
      {
        authority: "shop.example.com",
        path: "/reviews/1",
        gateway: "istio-system/ingress",
        headers: { "x-tranquil-release": "up1" },
      },
      "v2",
    ],
    [
      "gateway: non-enrolled to old",
      doorOpen,
      { authority: "shop.example.com", path: "/reviews/1", gateway: "istio-system/ingress" },
      "v1",
    ],
    [
      "the sentinel matches only its secret value",
      doorOpen,
      { headers: { [SENTINEL_HEADER]: "guess" } },
      "v1",
    ],
  ])("%s", (_name, intent, req, subset) => {
    expect(routed(intent, req)).toBe(subset);
  });

  it("the sentinel answers directly when its value is sent (it never is)", () => {
    expect(routed(doorOpen, { headers: { [SENTINEL_HEADER]: sentinelValue("up1") } })).toBe("503 DR");
  });
});
