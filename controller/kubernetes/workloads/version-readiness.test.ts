/** Desired and ready per version from Deployments and EndpointSlices (pure). */
import type { V1Deployment, V1Endpoint, V1EndpointSlice, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { readyEndpointPods, versionCounts } from "./version-readiness.js";

function deployment(
  version: string,
  replicas: number,
  status: { ready: number; observed: number; generation?: number },
  extra: { deleting?: boolean; app?: string } = {},
): V1Deployment {
  return {
    metadata: {
      name: `item-${version}`,
      generation: status.generation ?? 1,
      ...(extra.deleting === true ? { deletionTimestamp: new Date() } : {}),
    },
    spec: {
      replicas,
      selector: {},
      template: { metadata: { labels: { app: extra.app ?? "item", version } } },
    },
    status: { readyReplicas: status.ready, observedGeneration: status.observed },
  };
}

function endpoint(pod: string, conditions: NonNullable<V1Endpoint["conditions"]>): V1Endpoint {
  return { addresses: ["10.244.0.9"], conditions, targetRef: { kind: "Pod", name: pod } };
}

function slice(service: string, endpoints: V1Endpoint[]): V1EndpointSlice {
  return {
    addressType: "IPv4",
    metadata: { labels: { "kubernetes.io/service-name": service } },
    endpoints,
  };
}

const pods = new Map<string, V1Pod>(
  [
    ["a1", "v1"],
    ["a2", "v1"],
    ["b1", "v2"],
    ["b2", "v2"],
    ["b3", "v2"],
  ].map(([name = "", version = ""]) => [name, { metadata: { name, labels: { app: "item", version } } }]),
);
const lookup = (name: string): V1Pod | undefined => pods.get(name);

describe("readyEndpointPods", () => {
  it("counts ready and unknown endpoints, never not-ready or terminating ones, each pod once", () => {
    const names = readyEndpointPods([
      slice("item", [
        endpoint("a1", { ready: true }),
        endpoint("a2", {}),
        endpoint("b1", { ready: false }),
        endpoint("b2", { ready: true, terminating: true }),
      ]),
      slice("item", [endpoint("a1", { ready: true })]),
    ]);
    expect([...names].sort()).toEqual(["a1", "a2"]);
  });
});

describe("versionCounts", () => {
  it("takes the smaller of the Deployment's ready replicas and the version's ready endpoints", () => {
    const counts = versionCounts(
      "item",
      [deployment("v1", 2, { ready: 2, observed: 1 }), deployment("v2", 3, { ready: 3, observed: 1 })],
      [
        slice("item", [
          endpoint("a1", { ready: true }),
          endpoint("a2", { ready: true }),
          endpoint("b1", { ready: true }),
        ]),
      ],
      lookup,
    );
    expect(counts).toEqual([
      { version: "v1", desired: 2, ready: 2 },
      { version: "v2", desired: 3, ready: 1 },
    ]);
  });

  it("trusts no status the Deployment controller has not observed yet", () => {
    const counts = versionCounts(
      "item",
      [deployment("v2", 3, { ready: 3, observed: 1, generation: 2 })],
      [
        slice(
          "item",
          ["b1", "b2", "b3"].map((p) => endpoint(p, { ready: true })),
        ),
      ],
      lookup,
    );
    expect(counts).toEqual([{ version: "v2", desired: 3, ready: 0 }]);
  });

  it("desires nothing of a Deployment being deleted, and ignores other services' Deployments and slices", () => {
    const counts = versionCounts(
      "item",
      [
        deployment("v1", 2, { ready: 2, observed: 1 }, { deleting: true }),
        deployment("v1", 2, { ready: 2, observed: 1 }, { app: "front" }),
      ],
      [slice("front", [endpoint("a1", { ready: true })]), slice("item", [endpoint("a2", { ready: true })])],
      lookup,
    );
    expect(counts).toEqual([{ version: "v1", desired: 0, ready: 1 }]);
  });

  it("counts no endpoint whose pod is unknown or belongs to another service", () => {
    const counts = versionCounts(
      "item",
      [deployment("v1", 2, { ready: 2, observed: 1 })],
      [slice("item", [endpoint("gone", { ready: true }), endpoint("a1", { ready: true })])],
      (name) => (name === "a1" ? { metadata: { labels: { app: "front", version: "v1" } } } : undefined),
    );
    expect(counts).toEqual([{ version: "v1", desired: 2, ready: 0 }]);
  });
});
