/** Per-trace pinning routes: each active id pinned to the old subset by an exact header match, the rest to the new one. */
import { describe, expect, it } from "vitest";
import type { VirtualServiceSpec } from "../../istio/api/types.js";
import { pinnedSpec } from "../../bench/upgrades/pinning-routes.js";

const dest = (subset: string) => ({ host: "auth-service", subset, port: { number: 50051 } });

describe("per-trace pinning routes", () => {
  const spec: VirtualServiceSpec = {
    hosts: ["auth-service"],
    http: [
      { name: "admin", match: [{ uri: { prefix: "/admin" } }], route: [{ destination: dest("v1") }] },
      { name: "default", route: [{ destination: dest("v1") }] },
    ],
  };

  it("adds one route per id and user route before the user's, retargeted", () => {
    const out = pinnedSpec({ spec, ids: ["a", "b"], from: "v1", to: "v2" });
    expect(out.http?.map((r) => r.name)).toEqual([
      "pin-0-admin",
      "pin-0-default",
      "pin-1-admin",
      "pin-1-default",
      "admin",
      "default",
    ]);
    expect(out.http?.[0]?.match).toEqual([
      { uri: { prefix: "/admin" }, headers: { "x-request-id": { exact: "a" } } },
    ]);
    expect(out.http?.[1]?.match).toEqual([{ headers: { "x-request-id": { exact: "a" } } }]);
    expect(out.http?.[1]?.route?.[0]?.destination.subset).toBe("v1");
    expect(out.http?.slice(4).map((r) => r.route?.[0]?.destination.subset)).toEqual(["v2", "v2"]);
    expect(spec.http?.[1]?.route?.[0]?.destination.subset).toBe("v1");
  });

  it("with no active ids is the user's routes to the new version", () => {
    expect(pinnedSpec({ spec, ids: [], from: "v1", to: "v2" }).http?.length).toBe(2);
  });
});
