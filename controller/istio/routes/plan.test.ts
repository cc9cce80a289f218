import { describe, expect, it } from "vitest";
import { virtualService } from "../../../istio/api/builders.js";
import type { HTTPRoute, HTTPRouteDestination, VirtualService } from "../../../istio/api/types.js";
import type { RoutePlanIntent } from "../../engine/types.js";
import { planVirtualServices, type VirtualServicePlanInput } from "./plan-virtual-services.js";
import { highestEpoch } from "./epoch.js";
import { MAX_REGEX_LENGTH, pinRegexChunks } from "./regex.js";
import { sentinelValue } from "./names.js";

const ID = "up1";
const held: RoutePlanIntent = { mode: "held", sentinel: true, pins: [] };
const doorOpen: RoutePlanIntent = { mode: "doorOpen", sentinel: true, pins: [] };
const UUID = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

const to = (host: string, subset?: string): HTTPRouteDestination[] => [
  { destination: { host, ...(subset === undefined ? {} : { subset }) } },
];

function input(
  virtualServices: VirtualService[],
  intent: RoutePlanIntent,
  over: Partial<VirtualServicePlanInput> = {},
): VirtualServicePlanInput {
  return {
    upgradeId: ID,
    namespace: "default",
    services: [{ name: "reviews", from: "v1", to: "v2" }],
    intent,
    epoch: 3,
    enrolmentHeader: "x-tranquil-release",
    virtualServices,
    ...over,
  };
}

/** Apply a plan to a list of objects, as the RouteTable port would. */
function apply(current: VirtualService[], plan: ReturnType<typeof planVirtualServices>): VirtualService[] {
  const key = (vs: VirtualService) => `${vs.metadata.namespace}/${vs.metadata.name}`;
  const byKey = new Map(current.map((vs) => [key(vs), vs]));
  for (const vs of plan.upserts) byKey.set(key(vs), vs);
  for (const d of plan.deletes) byKey.delete(`${d.namespace}/${d.name}`);
  return [...byKey.values()];
}

const names = (vs: VirtualService | undefined): (string | undefined)[] =>
  (vs?.spec.http ?? []).map((r) => r.name);

const reviewsVs = (http: HTTPRoute[], extra: Partial<VirtualService["spec"]> = {}): VirtualService =>
  virtualService("reviews", { hosts: ["reviews"], http, ...extra }, "default", { resourceVersion: "7" });

describe("planVirtualServices", () => {
  it("holds old: the sentinel first, a non-enrolled clone to old just before the user route", () => {
    const user: HTTPRoute = { name: "main", timeout: "5s", retries: { attempts: 3 }, route: to("reviews") };
    const plan = planVirtualServices(input([reviewsVs([user])], held));
    expect(plan.upserts).toHaveLength(1);
    const vs = plan.upserts[0]!;
    expect(names(vs)).toEqual(["tranquil-up1-e3", "tranquil-up1-held-0", "main"]);
    expect(vs.spec.http![0]).toEqual({
      name: "tranquil-up1-e3",
      match: [{ headers: { "x-tranquil-sentinel": { exact: sentinelValue(ID) } } }],
      directResponse: { status: 503, body: { string: "tranquil sentinel: never matches" } },
    });
    // A user route without a subset: the clone names old; everything else is copied.
    expect(vs.spec.http![1]).toEqual({
      name: "tranquil-up1-held-0",
      timeout: "5s",
      retries: { attempts: 3 },
      route: to("reviews", "v1"),
    });
    expect(vs.spec.http![2]).toEqual(user);
    expect(vs.metadata.resourceVersion).toBe("7");
  });

  it("opens the door: enrolled clone ANDed into every match block, then pins, then the non-enrolled clone", () => {
    const user: HTTPRoute = {
      name: "api",
      match: [{ uri: { prefix: "/api" } }, { headers: { "x-beta": { exact: "1" } } }],
      route: to("reviews", "v1"),
    };
    const intent: RoutePlanIntent = { mode: "doorOpen", sentinel: true, pins: [UUID(1), UUID(2)] };
    const vs = planVirtualServices(input([reviewsVs([user])], intent)).upserts[0]!;
    expect(names(vs)).toEqual([
      "tranquil-up1-e3",
      "tranquil-up1-enrolled-0",
      "tranquil-up1-pin-0-0",
      "tranquil-up1-held-0",
      "api",
    ]);
    const enrolled = vs.spec.http![1]!;
    const regex = { regex: "(.*,\\s*)?up1(\\s*,.*)?" };
    expect(enrolled.match).toEqual([
      { uri: { prefix: "/api" }, headers: { "x-tranquil-release": regex } },
      { headers: { "x-beta": { exact: "1" }, "x-tranquil-release": regex } },
    ]);
    expect(enrolled.route).toEqual(to("reviews", "v2"));
    const pin = vs.spec.http![2]!;
    expect(pin.match?.[0]?.headers?.["x-request-id"]).toEqual({ regex: `${UUID(1)}|${UUID(2)}` });
    expect(pin.route).toEqual(to("reviews", "v1"));
    expect(vs.spec.http![3]!.route).toEqual(to("reviews", "v1"));
    // The user's route object is untouched.
    expect(user.match).toHaveLength(2);
    expect(user.match![0]).toEqual({ uri: { prefix: "/api" } });
  });

  it("flips: the non-enrolled clone goes to new, pins stay on old", () => {
    const intent: RoutePlanIntent = { mode: "flipped", sentinel: true, pins: [UUID(7)] };
    const vs = planVirtualServices(input([reviewsVs([{ route: to("reviews", "v1") }])], intent)).upserts[0]!;
    const bySubset = Object.fromEntries(
      vs.spec.http!.map((r) => [r.name ?? "(user)", r.route?.[0]?.destination.subset]),
    );
    expect(bySubset).toEqual({
      "tranquil-up1-e3": undefined,
      "tranquil-up1-enrolled-0": "v2",
      "tranquil-up1-pin-0-0": "v1",
      "tranquil-up1-held-0": "v2",
      "(user)": "v1",
    });
  });

  it("clones nothing after a catch-all: those routes never reach Envoy", () => {
    const routes: HTTPRoute[] = [
      { name: "a", match: [{ uri: { prefix: "/a" } }], route: to("reviews") },
      { name: "all", match: [{ uri: { prefix: "/" } }], route: to("reviews") },
      { name: "dead", match: [{ uri: { prefix: "/dead" } }], route: to("reviews") },
    ];
    const vs = planVirtualServices(input([reviewsVs(routes)], held)).upserts[0]!;
    expect(names(vs)).toEqual([
      "tranquil-up1-e3",
      "tranquil-up1-held-0",
      "a",
      "tranquil-up1-held-1",
      "all",
      "dead",
    ]);
  });

  it("clones across gateway bindings: a catch-all bound to one gateway leaves later routes reachable from the mesh", () => {
    const routes: HTTPRoute[] = [
      { name: "edge", match: [{ gateways: ["public-gw"] }], route: to("reviews") },
      { name: "inner", match: [{ uri: { prefix: "/inner" } }], route: to("reviews") },
      { name: "rest", route: to("reviews") },
      { name: "dead", route: to("reviews") },
    ];
    const vs = planVirtualServices(input([reviewsVs(routes, { gateways: ["public-gw", "mesh"] })], held))
      .upserts[0]!;
    expect(names(vs)).toEqual([
      "tranquil-up1-e3",
      "tranquil-up1-held-0",
      "edge",
      "tranquil-up1-held-1",
      "inner",
      "tranquil-up1-held-2",
      "rest",
      "dead",
    ]);
    // The clone keeps the binding of the route it copies.
    expect(vs.spec.http![1]!.match).toEqual([{ gateways: ["public-gw"] }]);
  });

  it("reaches gateway VirtualServices that route to the host under another name, and leaves other destinations alone", () => {
    const gw = virtualService("shop", {
      hosts: ["shop.example.com"],
      gateways: ["istio-system/ingress"],
      http: [
        {
          name: "reviews",
          match: [{ uri: { prefix: "/reviews" } }],
          route: to("reviews.default.svc.cluster.local"),
        },
        { name: "ratings", match: [{ uri: { prefix: "/ratings" } }], route: to("ratings", "v1") },
      ],
    });
    const plan = planVirtualServices(input([gw, reviewsVs([{ route: to("reviews") }])], held));
    const shop = plan.upserts.find((v) => v.metadata.name === "shop")!;
    expect(names(shop)).toEqual(["tranquil-up1-e3", "tranquil-up1-held-0", "reviews", "ratings"]);
    expect(shop.spec.http![1]!.route).toEqual(to("reviews.default.svc.cluster.local", "v1"));
    expect(shop.spec.http![3]).toEqual(gw.spec.http![1]);
  });

  it("leaves foreign routes and other upgrades' routes byte for byte, in place", () => {
    const foreign: HTTPRoute[] = [
      { name: "tranquil-other-held-0", route: to("details", "v1"), match: [{ uri: { exact: "/x" } }] },
      {
        name: "tranquil-up10-e4",
        directResponse: { status: 503 },
        match: [{ headers: { a: { exact: "b" } } }],
      },
      {
        name: "mirror",
        match: [{ uri: { prefix: "/m" } }],
        route: to("details"),
        mirror: { host: "reviews" },
      },
    ];
    const vs = reviewsVs([...foreign, { name: "main", route: to("reviews") }]);
    const planned = planVirtualServices(input([vs], doorOpen)).upserts[0]!;
    const survivors = planned.spec.http!.filter((r) => !r.name?.startsWith("tranquil-up1-"));
    expect(JSON.stringify(survivors)).toBe(JSON.stringify(vs.spec.http));
    expect(names(planned).slice(0, 4)).toEqual([
      "tranquil-up1-e3",
      "tranquil-other-held-0",
      "tranquil-up10-e4",
      "mirror",
    ]);
  });

  it("does not write VirtualServices that route nothing of the train", () => {
    const other = virtualService(
      "details",
      { hosts: ["details"], http: [{ route: to("details", "v1") }] },
      "default",
      { resourceVersion: "1" },
    );
    const plan = planVirtualServices(input([other, reviewsVs([{ route: to("reviews") }])], held));
    expect(plan.upserts.map((v) => v.metadata.name)).toEqual(["reviews"]);
  });

  it.each<[string, RoutePlanIntent]>([
    ["held", held],
    ["doorOpen with pins", { mode: "doorOpen", sentinel: true, pins: [UUID(1), UUID(2)] }],
    ["flipped", { mode: "flipped", sentinel: true, pins: [UUID(3)] }],
    ["finalized", { mode: "finalized", sentinel: true, pins: [] }],
    ["removed", { mode: "removed", sentinel: false, pins: [] }],
  ])("is idempotent (%s): planning the planned objects changes nothing", (_name, intent) => {
    const start = [
      reviewsVs([
        { name: "a", match: [{ uri: { prefix: "/a" } }], route: to("reviews", "v1") },
        { route: to("reviews") },
      ]),
    ];
    const once = apply(start, planVirtualServices(input(start, intent)));
    const twice = planVirtualServices(input(once, intent));
    expect(twice.upserts).toEqual([]);
    expect(twice.deletes).toEqual([]);
  });

  it("plans the same objects from any earlier state: strip, then insert", () => {
    const start = [reviewsVs([{ route: to("reviews") }])];
    let current = start;
    for (const intent of [
      held,
      doorOpen,
      { mode: "flipped", sentinel: true, pins: [UUID(1)] } as RoutePlanIntent,
    ]) {
      current = apply(current, planVirtualServices(input(current, intent)));
    }
    const removed: RoutePlanIntent = { mode: "removed", sentinel: false, pins: [] };
    const back = apply(current, planVirtualServices(input(current, removed)));
    expect(back).toEqual(start);
  });

  it("finalizes: user routes naming old now name new, originals recorded, other subsets untouched", () => {
    const vs = reviewsVs([
      {
        name: "main",
        route: [
          { destination: { host: "reviews", subset: "v1" }, weight: 90 },
          { destination: { host: "ratings", subset: "v1" }, weight: 10 },
        ],
      },
      { route: to("reviews", "v3") },
      { name: "plain", route: to("reviews") },
    ]);
    const intent: RoutePlanIntent = { mode: "finalized", sentinel: true, pins: [] };
    const plan = planVirtualServices(input([vs], intent));
    const out = plan.upserts[0]!;
    expect(names(out)).toEqual(["tranquil-up1-e3", "main", undefined, "plain"]);
    expect(out.spec.http![1]!.route).toEqual([
      { destination: { host: "reviews", subset: "v2" }, weight: 90 },
      { destination: { host: "ratings", subset: "v1" }, weight: 10 },
    ]);
    expect(out.spec.http![2]!.route).toEqual(to("reviews", "v3"));
    expect(out.spec.http![3]!.route).toEqual(to("reviews"));
    expect(plan.originals).toEqual([
      {
        namespace: "default",
        virtualService: "reviews",
        route: "main",
        destinationIndex: 0,
        host: "reviews",
        subset: "v1",
      },
    ]);
    // The same write records the originals on the VirtualService (G5: a controller killed
    // before its status write finds them there).
    expect(JSON.parse(out.metadata.annotations?.["originals.tranquil.dev/up1"] ?? "null")).toEqual(
      plan.originals,
    );
    // Planning again (a re-executed write) edits nothing and writes nothing, but still reports
    // the originals, read back from the annotation.
    const again = planVirtualServices(input(apply([vs], plan), intent));
    expect(again.upserts).toEqual([]);
    expect(again.originals).toEqual(plan.originals);
    // The upgrade's last write (sentinel gone) removes the annotation and reports nothing more.
    const last = planVirtualServices(input(apply([vs], plan), { ...intent, sentinel: false }));
    expect(last.originals).toEqual([]);
    expect(last.upserts[0]?.metadata.annotations?.["originals.tranquil.dev/up1"]).toBeUndefined();
    expect(last.upserts[0]?.spec.http![0]!.route).toEqual(out.spec.http![1]!.route);
  });

  it("keeps a destination's version header true: a value naming the old subset names the new one on clones and at the end", () => {
    const versioned: HTTPRouteDestination[] = [
      {
        destination: { host: "reviews", subset: "v1" },
        headers: {
          response: { set: { "x-version": "v1", "x-team": "books" } },
          request: { add: { "x-to": "v1" } },
        },
      },
    ];
    const user: HTTPRoute = { name: "main", route: versioned };
    const open = planVirtualServices(input([reviewsVs([user])], doorOpen)).upserts[0]!;
    const enrolled = open.spec.http!.find((r) => r.name === "tranquil-up1-enrolled-0")!;
    expect(enrolled.route?.[0]?.destination.subset).toBe("v2");
    expect(enrolled.route?.[0]?.headers).toEqual({
      response: { set: { "x-version": "v2", "x-team": "books" } },
      request: { add: { "x-to": "v2" } },
    });
    const held = open.spec.http!.find((r) => r.name === "tranquil-up1-held-0")!;
    expect(held.route?.[0]?.headers?.response?.set?.["x-version"]).toBe("v1");
    expect(open.spec.http!.find((r) => r.name === "main")?.route).toEqual(versioned);
    const done = planVirtualServices(
      input([reviewsVs([user])], { mode: "finalized", sentinel: false, pins: [] }),
    ).upserts[0]!;
    expect(
      done.spec.http!.find((r) => r.name === "main")?.route?.[0]?.headers?.response?.set?.["x-version"],
    ).toBe("v2");
  });

  it("keeps the user's own annotations and ignores a malformed originals annotation", () => {
    const vs = reviewsVs([{ name: "main", route: to("reviews", "v1") }]);
    vs.metadata.annotations = { "team.example/owner": "shop", "originals.tranquil.dev/up1": "{not json" };
    const plan = planVirtualServices(input([vs], { mode: "finalized", sentinel: true, pins: [] }));
    const annotations = plan.upserts[0]!.metadata.annotations ?? {};
    expect(annotations["team.example/owner"]).toBe("shop");
    expect(JSON.parse(annotations["originals.tranquil.dev/up1"] ?? "null")).toEqual(plan.originals);
    expect(plan.originals).toHaveLength(1);
    // An annotation the user adds afterwards, in whatever order: planning again writes nothing.
    const written = structuredClone(plan.upserts[0]!);
    written.metadata.annotations = Object.fromEntries(
      Object.entries({ ...written.metadata.annotations, "team.example/pager": "on" }).reverse(),
    );
    const finalized: RoutePlanIntent = { mode: "finalized", sentinel: true, pins: [] };
    expect(planVirtualServices(input([written], finalized)).upserts).toEqual([]);
    const last = planVirtualServices(
      input(apply([vs], plan), { mode: "finalized", sentinel: false, pins: [] }),
    );
    expect(last.upserts[0]!.metadata.annotations).toEqual({ "team.example/owner": "shop" });
  });

  it("creates a Tranquil-owned VirtualService when the host has none, and deletes it at the end", () => {
    const plan = planVirtualServices(input([], held));
    expect(plan.upserts).toHaveLength(1);
    const owned = plan.upserts[0]!;
    expect(owned.metadata).toEqual({
      name: "tranquil-up1-reviews",
      namespace: "default",
      labels: { "app.kubernetes.io/managed-by": "tranquil", "tranquil.dev/upgrade": "up1" },
    });
    expect(names(owned)).toEqual(["tranquil-up1-e3", "tranquil-up1-held-0", "tranquil-default"]);
    const withOwned = apply([], plan);
    const end = planVirtualServices(input(withOwned, { mode: "finalized", sentinel: false, pins: [] }));
    expect(end.deletes).toEqual([{ namespace: "default", name: "tranquil-up1-reviews" }]);
    expect(end.upserts).toEqual([]);
  });

  it("puts clones and pins in every train member's VirtualService", () => {
    const ratings = virtualService("ratings", { hosts: ["ratings"], http: [{ route: to("ratings", "v1") }] });
    const intent: RoutePlanIntent = { mode: "doorOpen", sentinel: true, pins: [UUID(4)] };
    const plan = planVirtualServices(
      input([reviewsVs([{ route: to("reviews") }]), ratings], intent, {
        services: [
          { name: "reviews", from: "v1", to: "v2" },
          { name: "ratings", from: "v1", to: "v2" },
        ],
      }),
    );
    for (const vs of plan.upserts) {
      expect(names(vs)).toEqual([
        "tranquil-up1-e3",
        "tranquil-up1-enrolled-0",
        "tranquil-up1-pin-0-0",
        "tranquil-up1-held-0",
        undefined,
      ]);
    }
    expect(plan.upserts).toHaveLength(2);
  });

  it("reports the highest epoch in the table", () => {
    const plan = planVirtualServices(input([reviewsVs([{ route: to("reviews") }])], held));
    expect(highestEpoch(ID, plan.upserts)).toBe(3);
    expect(highestEpoch("other", plan.upserts)).toBeNull();
  });
});

describe("pin regexes", () => {
  it("fit 27 UUIDs per regex within Istio's 1,024 characters, and 31 32-hex ids", () => {
    const uuids = Array.from({ length: 60 }, (_, i) => UUID(i));
    const chunks = pinRegexChunks(uuids);
    expect(chunks.map((c) => c.split("|").length)).toEqual([27, 27, 6]);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(MAX_REGEX_LENGTH);
    const hex = Array.from({ length: 40 }, (_, i) => i.toString(16).padStart(32, "0"));
    expect(pinRegexChunks(hex).map((c) => c.split("|").length)).toEqual([31, 9]);
  });

  it("escapes metacharacters and refuses an id that cannot fit", () => {
    expect(pinRegexChunks(["a.b|c"])).toEqual(["a\\.b\\|c"]);
    expect(() => pinRegexChunks(["x".repeat(2000)])).toThrow(/longer than a 1024-character regex/);
  });

  it("places one pin route per chunk, in order", () => {
    const pins = Array.from({ length: 30 }, (_, i) => UUID(i));
    const vs = planVirtualServices(
      input([reviewsVs([{ route: to("reviews") }])], { mode: "doorOpen", sentinel: true, pins }),
    ).upserts[0]!;
    expect(names(vs)).toEqual([
      "tranquil-up1-e3",
      "tranquil-up1-enrolled-0",
      "tranquil-up1-pin-0-0",
      "tranquil-up1-pin-0-1",
      "tranquil-up1-held-0",
      undefined,
    ]);
  });
});
