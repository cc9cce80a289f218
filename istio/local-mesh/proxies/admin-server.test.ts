import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EnvoyAdminClient,
  accessLogCounters,
  extAuthzCounters,
  healthyEndpoints,
  inboundDownstreamRqActive,
  isOutboundSubsetCluster,
  parseClusters,
  parseRouteConfigs,
  parseStats,
  routeEpochs,
  upstreamActive,
} from "../../../trace-manager/envoy-admin/index.js";
import { destinationRule, virtualService } from "../../api/builders.js";
import { SnapshotMesh, type SnapshotInstance } from "./testing/snapshot-mesh.js";

const text = async (port: number, path: string): Promise<string> =>
  (await fetch(`http://127.0.0.1:${port}${path}`)).text();

// The admin endpoint is read by the TraceManager's own parsers (trace-manager/envoy-admin), unchanged.
describe("sidecar admin endpoint", () => {
  const mesh = new SnapshotMesh();
  let caller: SnapshotInstance;

  beforeAll(async () => {
    caller = await mesh.start("frontend", "v1", "grpc", 50051, "item");
    await mesh.start("item", "v1", "grpc", 50051);
    await mesh.start("item", "v2", "grpc", 50051);
    mesh.destinationRules = [
      destinationRule("item", {
        host: "item",
        subsets: [
          { name: "v1", labels: { version: "v1" } },
          { name: "v2", labels: { version: "v2" } },
        ],
      }),
    ];
    mesh.virtualServices = [
      virtualService("item", {
        hosts: ["item"],
        http: [
          {
            name: "tranquil-u1-e7",
            match: [
              {
                name: "sentinel",
                headers: { "x-tranquil-sentinel": { exact: "b1946ac92492d2347c6235b4d2611184" } },
              },
            ],
            directResponse: { status: 418 },
          },
          {
            name: "enrolled",
            match: [{ headers: { "x-tranquil-release": { regex: "(.*,)?u1(,.*)?" } } }],
            route: [{ destination: { host: "item", subset: "v2" } }],
          },
          {
            route: [
              { destination: { host: "item", subset: "v1" }, weight: 90 },
              { destination: { host: "item", subset: "v2" }, weight: 10 },
            ],
          },
        ],
      }),
    ];
    mesh.push();
  });
  afterAll(() => mesh.close());

  it("renders dynamic route configs as Istio does, read by the TraceManager's parser and epoch reader", async () => {
    const body = await text(caller.sidecar.adminPort, "/config_dump?resource=dynamic_route_configs");
    const raw = JSON.parse(body) as { configs: { "@type": string; version_info: string }[] };
    expect(raw.configs[0]?.["@type"]).toBe(
      "type.googleapis.com/envoy.admin.v3.RoutesConfigDump.DynamicRouteConfig",
    );
    expect(raw.configs[0]?.version_info).toMatch(/^\d{4}-\d\d-\d\dT.*Z\/\d+$/);
    const configs = parseRouteConfigs(body);
    expect(configs.map((c) => c.name)).toEqual(["50051"]);
    const vh = configs[0]?.virtualHosts.find((v) => v.name === "item.default.svc.cluster.local:50051");
    expect(vh?.domains).toEqual(
      expect.arrayContaining([
        "item.default.svc.cluster.local",
        "item",
        "item:50051",
        "item.default",
        "item.default:50051",
      ]),
    );
    expect(vh?.routes.map((r) => r.name)).toEqual(["tranquil-u1-e7.sentinel", "enrolled", undefined]);
    expect(vh?.routes[2]?.clusters).toEqual([
      "outbound|50051|v1|item.default.svc.cluster.local",
      "outbound|50051|v2|item.default.svc.cluster.local",
    ]);
    expect(routeEpochs(configs, "u1", ["item"])).toEqual({ status: "confirmed", epoch: 7 });
    // A route without a name has no `name` key at all (proto3 JSON leaves defaults out).
    expect(body).toContain(
      '"config": "/apis/networking.istio.io/v1/namespaces/default/virtual-service/item"',
    );
    const filtered = parseRouteConfigs(
      await text(caller.sidecar.adminPort, "/config_dump?resource=dynamic_route_configs&name_regex=^9080$"),
    );
    expect(filtered).toEqual([]);
    const full = parseRouteConfigs(await text(caller.sidecar.adminPort, "/config_dump"));
    expect(full.map((c) => c.name)).toEqual(["50051"]);
  });

  it("lists subset clusters with healthy hosts in text and JSON", async () => {
    for (const q of ["", "?format=json"]) {
      const parsed = parseClusters(await text(caller.sidecar.adminPort, `/clusters${q}`));
      const healthy = healthyEndpoints(parsed, isOutboundSubsetCluster);
      expect(healthy).toEqual({
        "outbound|50051|v1|item.default.svc.cluster.local": 1,
        "outbound|50051|v2|item.default.svc.cluster.local": 1,
      });
      expect(parsed.get("inbound|50051||")?.length).toBe(1);
    }
    // A not-ready endpoint shows with a failure flag.
    mesh.endpoints = mesh.endpoints.map((e) =>
      e.service === "item" && e.labels.version === "v2" ? { ...e, ready: false } : e,
    );
    mesh.push();
    const after = healthyEndpoints(
      parseClusters(await text(caller.sidecar.adminPort, "/clusters")),
      isOutboundSubsetCluster,
    );
    expect(after["outbound|50051|v2|item.default.svc.cluster.local"]).toBe(0);
  });

  it("serves the stats the TraceManager reads, text and JSON, through its admin client", async () => {
    const stats = caller.sidecar.core.stats;
    stats.inc("http.inbound_0.0.0.0_50051.ext_authz.failure_mode_allowed", 2);
    stats.gaugeAdd("cluster.outbound|50051|v1|item.default.svc.cluster.local.upstream_rq_active", 3);
    const client = new EnvoyAdminClient({
      baseUrl: `http://127.0.0.1:${caller.sidecar.adminPort}`,
      timeoutMs: 2_000,
    });
    const json = await client.stats();
    expect(extAuthzCounters(json).counters.failure_mode_allowed).toBe(2);
    expect(upstreamActive(json)["outbound|50051|v1|item.default.svc.cluster.local"]?.rqActive).toBe(3);
    expect(accessLogCounters(json)).toEqual({ written: 0, dropped: 0 });
    const plain = parseStats(await text(caller.sidecar.adminPort, "/stats"));
    expect(plain.get("cluster.outbound|50051|v1|item.default.svc.cluster.local.upstream_rq_active")).toBe(3);
    expect(inboundDownstreamRqActive(plain, "sidecar")).toBe(0);
    const routes = await client.routeConfigs("50051");
    expect(routes.length).toBe(1);
  });
});
