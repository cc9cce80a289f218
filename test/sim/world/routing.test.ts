import { describe, expect, it } from "vitest";
import type { DestinationRule, VirtualService } from "../../../istio/api/types.js";
import type { MeshConfig } from "./config-store.js";
import { routeCall } from "./routing.js";

// The evaluator's semantics are tested in istio/routing; these check what the adapter passes
// to it and what it makes of the answers.

const dr: DestinationRule = {
  apiVersion: "networking.istio.io/v1",
  kind: "DestinationRule",
  metadata: { name: "order", namespace: "default" },
  spec: {
    host: "order",
    subsets: [
      { name: "v1", labels: { version: "v1" } },
      { name: "v2", labels: { version: "v2" } },
    ],
  },
};

function vs(http: NonNullable<VirtualService["spec"]["http"]>, gateways?: string[]): VirtualService {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: "order", namespace: "default" },
    spec: { hosts: ["order"], ...(gateways === undefined ? {} : { gateways }), http },
  };
}

const config = (v: VirtualService, rules: DestinationRule[] = [dr]): MeshConfig => ({
  virtualServices: [v],
  destinationRules: rules,
  services: ["order"],
});
const zero = (): number => 0;

describe("routeCall", () => {
  const routes = vs([
    {
      name: "sentinel",
      match: [{ headers: { "x-tranquil-sentinel": { exact: "never" } } }],
      directResponse: { status: 599 },
    },
    {
      name: "enrolled",
      match: [{ headers: { "x-tranquil-release": { regex: "(.*,\\s*)?up1(\\s*,.*)?" } } }],
      route: [{ destination: { host: "order", subset: "v2" } }],
    },
    {
      name: "pins",
      match: [{ headers: { "x-request-id": { regex: "aa|bb" } } }],
      route: [{ destination: { host: "order", subset: "v1" } }],
    },
    { name: "clone", route: [{ destination: { host: "order", subset: "v1" } }] },
    { name: "unreachable", route: [{ destination: { host: "order", subset: "v2" } }] },
  ]);

  // One snapshot object for every call, as a proxy has: the answers are memoised per snapshot.
  const table = config(routes);
  const call = (headers: Record<string, string>, binding = "mesh") =>
    routeCall(table, "order", headers, binding, zero);

  it("takes the first matching route; the sentinel never matches", () => {
    expect(call({ "x-request-id": "cc" })).toMatchObject({ routeName: "clone", version: "v1" });
  });

  it("matches the enrolment token anywhere in a comma list with RE2 full match", () => {
    expect(call({ "x-tranquil-release": "other, up1", "x-request-id": "cc" })).toMatchObject({
      routeName: "enrolled",
      version: "v2",
    });
    expect(call({ "x-tranquil-release": "up10", "x-request-id": "cc" })).toMatchObject({
      routeName: "clone",
    });
  });

  it("pins by transaction id (whole value only), whatever was asked before", () => {
    expect(call({ "x-request-id": "bb" })).toMatchObject({ routeName: "pins" });
    expect(call({ "x-request-id": "bbb" })).toMatchObject({ routeName: "clone" });
    expect(call({ "x-request-id": "aa" })).toMatchObject({ routeName: "pins" });
  });

  it("answers DR for a direct response and NR for a host with no route", () => {
    expect(call({ "x-tranquil-sentinel": "never" })).toMatchObject({
      kind: "local",
      flag: "DR",
      routeName: "sentinel",
    });
    expect(call({}, "istio-system/ingress")).toMatchObject({ kind: "local", flag: "NR" });
  });

  it("answers NC when the subset is missing from the DestinationRule", () => {
    const onlyV1: DestinationRule = {
      ...dr,
      spec: { host: "order", subsets: [{ name: "v1", labels: { version: "v1" } }] },
    };
    const missing = config(vs([{ route: [{ destination: { host: "order", subset: "v2" } }] }]), [onlyV1]);
    expect(routeCall(missing, "order", {}, "mesh", zero)).toMatchObject({ kind: "local", flag: "NC" });
  });

  it("routes a destination without subset to every version, and honours gateway bindings", () => {
    const open = routeCall(
      config(vs([{ route: [{ destination: { host: "order" } }] }])),
      "order",
      {},
      "mesh",
      zero,
    );
    expect(open).toMatchObject({ kind: "forward", host: "order" });
    expect(open.kind === "forward" ? open.version : "x").toBeUndefined();
    const gatewayOnly = config(
      vs([{ route: [{ destination: { host: "order", subset: "v2" } }] }], ["istio-system/ingress"]),
    );
    expect(routeCall(gatewayOnly, "order", {}, "mesh", zero)).toMatchObject({ routeName: "default" });
    expect(routeCall(gatewayOnly, "order", {}, "istio-system/ingress", zero)).toMatchObject({
      version: "v2",
    });
  });

  it("splits by weight on every call (weighted snapshots are not memoised)", () => {
    const split = config(
      vs([
        {
          route: [
            { destination: { host: "order", subset: "v1" }, weight: 90 },
            { destination: { host: "order", subset: "v2" }, weight: 10 },
          ],
        },
      ]),
    );
    expect(routeCall(split, "order", {}, "mesh", () => 0.5)).toMatchObject({ version: "v1" });
    expect(routeCall(split, "order", {}, "mesh", () => 0.95)).toMatchObject({ version: "v2" });
  });
});
