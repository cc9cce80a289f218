import { describe, expect, it } from "vitest";
import { LOGISTICS_TOPOLOGY } from "./main.js";
import { defaultRouting } from "./default-routing.js";
import { stopWaves } from "./mesh-runtime.js";
import { TopologyError, loadTopology, parseTopology } from "./topology.js";

const base = {
  gateway: { name: "gw", service: "web" },
  services: [{ name: "web", app: "echo-http", port: 8080, versions: [{ name: "v1" }] }],
};

describe("topology", () => {
  it("loads the logistics topology and derives Istio-style default routes", async () => {
    const t = await loadTopology(LOGISTICS_TOPOLOGY);
    expect(t.services.map((s) => s.name)).toEqual([
      "logistics-api",
      "auth-service",
      "order-service",
      "item-service",
      "station-service",
    ]);
    const r = defaultRouting(t);
    const order = r.destinationRules.find((d) => d.metadata.name === "order-service");
    expect(order?.spec.subsets).toEqual([
      { name: "v1", labels: { version: "v1" } },
      { name: "v2", labels: { version: "v2" } },
    ]);
    const gw = r.virtualServices.find((v) => v.spec.gateways?.includes("default/tranquil-gateway"));
    expect(gw?.spec.http?.[0]?.route?.[0]?.destination).toEqual({
      host: "logistics-api",
      subset: "v1",
      port: { number: 8080 },
    });
  });

  it("stops callers before the services they call", async () => {
    const t = await loadTopology(LOGISTICS_TOPOLOGY);
    expect(stopWaves(t)).toEqual([
      ["logistics-api"],
      ["auth-service", "order-service"],
      ["item-service", "station-service"],
    ]);
  });

  it("fills defaults (protocol from the app, one instance, first version as default)", () => {
    const t = parseTopology(base);
    expect(t.namespace).toBe("default");
    expect(t.services[0]).toMatchObject({
      protocol: "http",
      upstreams: [],
      defaultVersion: "v1",
      versions: [{ name: "v1", instances: 1 }],
    });
    expect(t.gateway).toEqual({ name: "gw", service: "web", hosts: ["*"], port: 80 });
  });

  it.each([
    [
      "a service name that is not a DNS label",
      { ...base, services: [{ ...base.services[0], name: "Web_1" }] },
      "must be a DNS label",
    ],
    [
      "an unknown upstream",
      { ...base, services: [{ ...base.services[0], upstreams: ["nowhere"] }] },
      'upstream "nowhere"',
    ],
    ["a gateway without a known service", { ...base, gateway: { service: "api" } }, "gateway.service"],
    [
      "a missing port",
      { ...base, services: [{ ...base.services[0], port: undefined }] },
      "port must be a port number",
    ],
    [
      "a default version that is not listed",
      { ...base, services: [{ ...base.services[0], defaultVersion: "v9" }] },
      '"v9" is not one of its versions',
    ],
    ["no services", { gateway: base.gateway }, "at least one service"],
  ])("refuses %s, saying what to fix", (_what, doc, message) => {
    expect(() => parseTopology(doc, "t.yaml")).toThrow(TopologyError);
    expect(() => parseTopology(doc, "t.yaml")).toThrow(message);
  });
});
