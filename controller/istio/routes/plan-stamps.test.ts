/**
 * Gateway stamps (ADR 0090): with `stamps` on, every reachable gateway-bound user route gets a
 * clone for the gateways only that appends the enrolment header, and its VirtualService the
 * sentinel; the evaluator then enrols a request at the gateway even without the TraceManager.
 */
import { describe, expect, it } from "vitest";
import { versionSubsets, virtualService } from "../../../istio/api/builders.js";
import { applyHeaderMutation, evaluate, type RouteRequest } from "../../../istio/routing/evaluate.js";
import type { HTTPRoute, VirtualService } from "../../../istio/api/types.js";
import type { RoutePlanIntent } from "../../engine/types.js";
import { planVirtualServices } from "./plan-virtual-services.js";
import { sentinelGateways } from "./epoch.js";

const GATEWAY = "istio-system/ingress";
const stamped = (mode: RoutePlanIntent["mode"]): RoutePlanIntent => ({
  mode,
  sentinel: true,
  pins: [],
  stamps: true,
});

const entry = (): VirtualService =>
  virtualService("api", {
    hosts: ["api.example.com"],
    gateways: [GATEWAY],
    http: [{ name: "entry", route: [{ destination: { host: "logistics-api" } }] }],
  });

const reviews = (http: HTTPRoute[]): VirtualService =>
  virtualService("reviews", { hosts: ["reviews"], gateways: [GATEWAY, "mesh"], http });

function plan(virtualServices: VirtualService[], intent: RoutePlanIntent) {
  return planVirtualServices({
    upgradeId: "up1",
    namespace: "default",
    services: [{ name: "reviews", from: "v1", to: "v2" }],
    intent,
    epoch: 4,
    enrolmentHeader: "X-Tranquil-Release",
    virtualServices,
  });
}

/** The table after `p` is applied to `current`. */
function applied(current: VirtualService[], p: ReturnType<typeof plan>): VirtualService[] {
  const byName = new Map(current.map((vs) => [vs.metadata.name, vs]));
  for (const vs of p.upserts) byName.set(vs.metadata.name, vs);
  for (const d of p.deletes) byName.delete(d.name);
  return [...byName.values()];
}

const named = (table: VirtualService[], name: string): VirtualService | undefined =>
  table.find((vs) => vs.metadata.name === name);

describe("gateway stamps", () => {
  it("stamps a gateway route of a host outside the train, for its gateways only, with the sentinel first", () => {
    const table = applied([entry()], plan([entry()], stamped("doorOpen")));
    const vs = named(table, "api");
    expect((vs?.spec.http ?? []).map((r) => r.name)).toEqual([
      "tranquil-up1-e4",
      "tranquil-up1-stamp-0",
      "entry",
    ]);
    expect(vs?.spec.http?.[1]).toEqual({
      name: "tranquil-up1-stamp-0",
      match: [{ gateways: [GATEWAY] }],
      headers: { request: { add: { "x-tranquil-release": "up1" } } },
      route: [{ destination: { host: "logistics-api" } }],
    });
    // The gateways whose pods must now confirm the epoch (ADR 0090).
    expect(sentinelGateways("up1", table)).toEqual([GATEWAY]);
    // Planned again: nothing to write.
    expect(plan(table, stamped("doorOpen")).upserts).toEqual([]);
  });

  it("leaves gateway routes alone without stamps, and before the door opens", () => {
    const upserted = (intent: RoutePlanIntent) =>
      plan([entry()], intent).upserts.map((vs) => vs.metadata.name);
    // Only the Tranquil-owned VirtualService of the train host is written, never the entry's.
    expect(upserted({ mode: "doorOpen", sentinel: true, pins: [] })).toEqual(["tranquil-up1-reviews"]);
    expect(upserted({ mode: "held", sentinel: true, pins: [], stamps: true })).toEqual([
      "tranquil-up1-reviews",
    ]);
    expect(sentinelGateways("up1", [entry()])).toEqual([]);
  });

  it("puts the stamp first on a train host's gateway route, sending it to new, and never on the mesh", () => {
    const user: HTTPRoute = {
      name: "main",
      match: [{ uri: { prefix: "/r" } }, { uri: { prefix: "/m" }, gateways: ["mesh"] }],
      headers: { request: { set: { "x-kept": "1" }, add: { "x-also": "2" } } },
      route: [{ destination: { host: "reviews" } }],
    };
    const table = applied([reviews([user])], plan([reviews([user])], stamped("flipped")));
    const http = named(table, "reviews")?.spec.http ?? [];
    expect(http.map((r) => r.name)).toEqual([
      "tranquil-up1-e4",
      "tranquil-up1-stamp-0",
      "tranquil-up1-enrolled-0",
      "tranquil-up1-held-0",
      "main",
    ]);
    const stamp = http[1];
    // The mesh-only block is dropped; the other applies at the gateway only.
    expect(stamp?.match).toEqual([{ uri: { prefix: "/r" }, gateways: [GATEWAY] }]);
    expect(stamp?.route).toEqual([{ destination: { host: "reviews", subset: "v2" } }]);
    expect(stamp?.headers).toEqual({
      request: { set: { "x-kept": "1" }, add: { "x-also": "2", "x-tranquil-release": "up1" } },
    });
    // A route that applies only to the mesh, or forwards nowhere, gets no stamp.
    const meshOnly: HTTPRoute = {
      name: "m",
      match: [{ gateways: ["mesh"] }],
      route: [{ destination: { host: "reviews" } }],
    };
    const redirect: HTTPRoute = {
      name: "r",
      match: [{ uri: { prefix: "/old" } }],
      redirect: { uri: "/new" },
    };
    const other = plan([reviews([meshOnly, redirect])], stamped("flipped")).upserts[0];
    expect((other?.spec.http ?? []).map((r) => r.name)).not.toContain("tranquil-up1-stamp-0");
    expect((other?.spec.http ?? []).map((r) => r.name)).not.toContain("tranquil-up1-stamp-1");
    // A mesh-only VirtualService is never stamped.
    const mesh = virtualService("reviews", {
      hosts: ["reviews"],
      http: [{ name: "main", route: [{ destination: { host: "reviews" } }] }],
    });
    const meshPlan = plan([mesh], stamped("flipped")).upserts[0];
    expect((meshPlan?.spec.http ?? []).some((r) => (r.name ?? "").includes("-stamp-"))).toBe(false);
  });

  it("removes the stamps and the stamped sentinel when they are turned off", () => {
    const stampedTable = applied([entry()], plan([entry()], stamped("flipped")));
    const off = applied(stampedTable, plan(stampedTable, { mode: "finalized", sentinel: true, pins: [] }));
    expect(named(off, "api")?.spec.http).toEqual(entry().spec.http);
    expect(sentinelGateways("up1", off)).toEqual([]);
  });

  it("enrols at the gateway whatever the Check did; the mesh routes the propagated header to new", () => {
    const table = applied(
      [entry(), reviews([{ name: "main", route: [{ destination: { host: "reviews" } }] }])],
      plan(
        [entry(), reviews([{ name: "main", route: [{ destination: { host: "reviews" } }] }])],
        stamped("doorOpen"),
      ),
    );
    const snapshot = {
      services: ["reviews", "logistics-api"],
      virtualServices: table,
      destinationRules: [versionSubsets("reviews", ["v1", "v2"])],
    };
    const req = (over: Partial<RouteRequest>): RouteRequest => ({
      authority: "api.example.com",
      method: "GET",
      path: "/",
      headers: {},
      gateway: GATEWAY,
      ...over,
    });
    // Failed open: no enrolment header from the TraceManager; the stamp adds it.
    const atGateway = evaluate(snapshot, req({}), () => 0);
    if (atGateway.kind !== "forward") throw new Error(`expected a forward, got ${atGateway.kind}`);
    expect(atGateway.routeName).toBe("tranquil-up1-stamp-0");
    const propagated = applyHeaderMutation({}, atGateway.requestHeaders);
    expect(propagated).toEqual({ "x-tranquil-release": "up1" });
    // The Check worked too: the id twice in a comma list, which the enrolled clone matches.
    const both = applyHeaderMutation({ "x-tranquil-release": "up1" }, atGateway.requestHeaders);
    expect(both["x-tranquil-release"]).toBe("up1, up1");
    for (const headers of [propagated, both]) {
      const hop = evaluate(snapshot, req({ authority: "reviews", gateway: "mesh", headers }), () => 0);
      expect(hop.kind === "forward" ? hop.subset : hop.kind).toBe("v2");
    }
    // A call inside the mesh without the header is not stamped: it stays on the held clone.
    const bypass = evaluate(snapshot, req({ authority: "reviews", gateway: "mesh" }), () => 0);
    expect(bypass.kind === "forward" ? `${bypass.routeName} ${bypass.subset}` : bypass.kind).toBe(
      "tranquil-up1-held-0 v1",
    );
  });
});
