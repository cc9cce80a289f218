import { describe, expect, it } from "vitest";
import type { MeshSnapshot } from "../control-plane/types.js";
import { destinationRule, virtualService } from "../../api/builders.js";
import { frameOf } from "./control-plane-adapter.js";

const snapshot: MeshSnapshot = {
  epoch: 3,
  destinationRules: [
    destinationRule("item", { host: "item", subsets: [{ name: "v1", labels: { version: "v1" } }] }),
  ],
  virtualServices: [
    virtualService("item", {
      hosts: ["item"],
      http: [{ name: "r", route: [{ destination: { host: "item", subset: "v1" } }] }],
    }),
  ],
  gateways: [],
  serviceEntries: [],
  endpoints: [],
};
const req = { authority: "item:50051", path: "/", method: "GET", headers: {}, gateway: "mesh" };

describe("routing frame over a snapshot", () => {
  it("treats a host unknown to the registry as no cluster (NC)", () => {
    expect(frameOf(snapshot, "default").decide(req)).toMatchObject({
      kind: "local-reply",
      status: 503,
      flag: "NC",
    });
  });

  it("routes to a known service without endpoints (the proxy then answers UH), as Kubernetes Services exist without pods", () => {
    const d = frameOf(snapshot, "default", Math.random, undefined, { item: [50051] }).decide(req);
    expect(d).toMatchObject({
      kind: "forward",
      subset: "v1",
      cluster: "outbound|50051|v1|item.default.svc.cluster.local",
      endpointLabels: { version: "v1" },
      retries: 2,
    });
  });

  it("lists only ready endpoints as healthy", () => {
    const s: MeshSnapshot = {
      ...snapshot,
      endpoints: [
        {
          service: "item",
          address: "127.0.0.1:1",
          port: 50051,
          labels: { version: "v1" },
          pod: "a",
          ready: true,
        },
        {
          service: "item",
          address: "127.0.0.1:2",
          port: 50051,
          labels: { version: "v1" },
          pod: "b",
          ready: false,
        },
      ],
    };
    expect(
      frameOf(s, "default")
        .endpoints("item.default.svc.cluster.local")
        .map((e) => e.healthy),
    ).toEqual([true, false]);
  });
});
