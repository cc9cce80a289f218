import type { V1Endpoint, V1EndpointSlice, V1Pod, V1Service } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { endpointsOf, type EndpointSources } from "./endpoint-slices.js";

const service = (name: string, ports: { name?: string; port: number }[]): V1Service => ({
  metadata: { name, namespace: "default" },
  spec: { selector: { app: name }, ports },
});
const pod = (name: string, labels: Record<string, string>): V1Pod => ({
  metadata: { name, namespace: "default", labels },
});
const endpoint = (ip: string, podName: string, conditions?: V1Endpoint["conditions"]): V1Endpoint => ({
  addresses: [ip],
  targetRef: { kind: "Pod", name: podName, namespace: "default" },
  ...(conditions !== undefined ? { conditions } : {}),
});
const slice = (
  name: string,
  svc: string,
  endpoints: V1Endpoint[],
  ports: { name?: string; port: number }[] = [{ name: "grpc", port: 50052 }],
): V1EndpointSlice => ({
  metadata: { name, namespace: "default", labels: { "kubernetes.io/service-name": svc } },
  addressType: "IPv4",
  endpoints,
  ports,
});
const LOOPBACK: Record<string, string> = {
  "10.244.0.2": "127.0.0.1:40002",
  "10.244.0.3": "127.0.0.1:40003",
  "10.244.0.4": "127.0.0.1:40004",
};
const base = (over: Partial<EndpointSources>): EndpointSources => ({
  services: [service("item", [{ name: "grpc", port: 50052 }])],
  slices: [],
  pods: [pod("item-a", { app: "item", version: "v1" }), pod("item-b", { app: "item", version: "v2" })],
  addressOf: (ip) => LOOPBACK[ip],
  ...over,
});

describe("endpointsOf: Services, EndpointSlices and Pods into the mesh's Endpoints", () => {
  it("makes one Endpoint per listed pod: loopback address, pod labels, the Service's port, ready", () => {
    const { endpoints, conflicts } = endpointsOf(
      base({
        services: [service("item", [{ name: "grpc-item", port: 7000 }])],
        slices: [
          slice(
            "item-x1",
            "item",
            [endpoint("10.244.0.2", "item-a", { ready: true }), endpoint("10.244.0.3", "item-b")],
            [{ name: "grpc-item", port: 50052 }],
          ),
        ],
      }),
    );
    expect(conflicts).toEqual([]);
    expect(endpoints).toEqual([
      {
        service: "item",
        address: "127.0.0.1:40002",
        port: 7000,
        labels: { app: "item", version: "v1" },
        pod: "item-a",
        ready: true,
      },
      {
        service: "item",
        address: "127.0.0.1:40003",
        port: 7000,
        labels: { app: "item", version: "v2" },
        pod: "item-b",
        // A nil ready condition counts as ready, as the API documents.
        ready: true,
      },
    ]);
  });

  it.each([
    ["not ready", { ready: false }, false],
    ["terminating (ready false, still serving)", { ready: false, serving: true, terminating: true }, false],
    ["ready", { ready: true, serving: true, terminating: false }, true],
  ] as const)("follows the slice's ready condition: %s", (_what, conditions, ready) => {
    const { endpoints } = endpointsOf(
      base({ slices: [slice("item-x1", "item", [endpoint("10.244.0.2", "item-a", conditions)])] }),
    );
    expect(endpoints.map((e) => e.ready)).toEqual([ready]);
  });

  it.each([
    [
      "the Service is unknown",
      base({ services: [], slices: [slice("s", "item", [endpoint("10.244.0.2", "item-a")])] }),
    ],
    [
      "the pod is not in the cache yet",
      base({ pods: [], slices: [slice("s", "item", [endpoint("10.244.0.2", "item-a")])] }),
    ],
    [
      "the pod IP is on no local proxy",
      base({ slices: [slice("s", "item", [endpoint("10.9.9.9", "item-a")])] }),
    ],
    [
      "the endpoint has no pod",
      base({ slices: [slice("s", "item", [{ addresses: ["10.244.0.2"], conditions: { ready: true } }])] }),
    ],
    [
      "the slice has no endpoints (null over the wire)",
      base({
        slices: [Object.assign(slice("s", "item", []), { endpoints: null as unknown as V1Endpoint[] })],
      }),
    ],
    [
      "the slice lists FQDNs",
      base({
        slices: [
          Object.assign(slice("s", "item", [endpoint("10.244.0.2", "item-a")]), { addressType: "FQDN" }),
        ],
      }),
    ],
  ])("leaves an endpoint out while %s", (_what, sources) => {
    expect(endpointsOf(sources).endpoints).toEqual([]);
  });

  it("keeps a pod listed by two slices of one Service ready only if both say so", () => {
    const { endpoints } = endpointsOf(
      base({
        slices: [
          slice("item-x1", "item", [endpoint("10.244.0.2", "item-a", { ready: true })]),
          slice("item-x2", "item", [endpoint("10.244.0.2", "item-a", { ready: false })]),
        ],
      }),
    );
    expect(endpoints.map((e) => [e.pod, e.ready])).toEqual([["item-a", false]]);
  });

  it("keeps a pod two Services list under the first by name, and says so", () => {
    const { endpoints, conflicts } = endpointsOf(
      base({
        services: [service("item", [{ port: 50052 }]), service("alias", [{ port: 9000 }])],
        slices: [
          slice("item-x1", "item", [endpoint("10.244.0.2", "item-a")], [{ port: 50052 }]),
          slice("alias-x1", "alias", [endpoint("10.244.0.2", "item-a")], [{ port: 50052 }]),
        ],
      }),
    );
    expect(endpoints.map((e) => [e.service, e.port])).toEqual([["alias", 9000]]);
    expect(conflicts).toEqual(["pod item-a is listed by Services alias and item"]);
  });
});
