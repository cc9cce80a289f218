import http from "node:http";
import { Metadata, type ServiceError } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HTTPAccessLogEntry } from "../../../trace-manager/proto/types.js";
import { gateway, versionSubsets, virtualService } from "../../api/builders.js";
import type { HTTPRoute, VirtualService } from "../../api/types.js";
import { ProxyConfigHolder } from "../control-plane/proxy-config.js";
import { echoClient, type EchoClient } from "../runtime/echo-app/echo-services.js";
import { snapshotSourceOf } from "./holder-source.js";
import { startIngressGateway, type IngressGateway } from "./ingress-gateway.js";
import { getWithHost, type HostReply } from "./testing/get-with-host.js";
import { SnapshotMesh, type SnapshotInstance } from "./testing/snapshot-mesh.js";

function get(port: number, host: string, headers: Record<string, string> = {}): Promise<HostReply> {
  return getWithHost(port, host, { path: "/ratings/0", headers });
}

const DELAY_MS = 200;
// Timers may fire a millisecond early on a loaded machine; the delay is still plainly there.
const AT_LEAST_DELAY = DELAY_MS - 5;
const jason = { "end-user": "jason" };
const toRatingsV1: HTTPRoute["route"] = [{ destination: { host: "ratings", subset: "v1" } }];

// Envoy's fault filter on the sidecar outbound and the ingress gateway, routed by the real evaluator.
describe("fault injection in the proxies", () => {
  const mesh = new SnapshotMesh();
  let caller: SnapshotInstance;
  let ratingsV1: SnapshotInstance;
  let ratingsV2: SnapshotInstance;
  let item: SnapshotInstance;
  let ingress: IngressGateway;
  const ingressSnapshots = new ProxyConfigHolder({ workerLag: { minMs: 0, maxMs: 0 } });
  const outbound: HTTPAccessLogEntry[] = [];
  const atGateway: HTTPAccessLogEntry[] = [];
  let grpc: EchoClient;

  const itemRoutes = (http: HTTPRoute[]): VirtualService => virtualService("item", { hosts: ["item"], http });
  const ratingsRoutes = (http: HTTPRoute[]): VirtualService =>
    virtualService("ratings", { hosts: ["ratings"], http });

  /** Pushes `virtualServices` to every proxy and waits until they route by it. */
  async function route(...virtualServices: VirtualService[]): Promise<void> {
    mesh.virtualServices = virtualServices;
    const holders = [...mesh.instances.map((i) => i.snapshots), ingressSnapshots];
    const s = mesh.push(holders);
    await Promise.all(holders.map((h) => h.whenRoutingEpoch(s.epoch)));
  }

  const flagsOf = (e: HTTPAccessLogEntry | undefined): unknown => e?.common_properties?.response_flags ?? {};
  const servedByRatings = (): number => ratingsV1.app.served() + ratingsV2.app.served();

  beforeAll(async () => {
    caller = await mesh.start("productpage", "v1", "http", 9080);
    ratingsV1 = await mesh.start("ratings", "v1", "http", 9080);
    ratingsV2 = await mesh.start("ratings", "v2", "http", 9080);
    item = await mesh.start("item", "v1", "grpc", 50051);
    mesh.destinationRules = [versionSubsets("ratings", ["v1", "v2"])];
    mesh.gateways = [
      gateway("bookinfo-gateway", {
        selector: { istio: "ingressgateway" },
        servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
      }),
    ];
    caller.sidecar.core.observeAccessLog((e, d) => d === "outbound" && outbound.push(e));
    ingress = await startIngressGateway({
      namespace: "default",
      routePort: 80,
      snapshots: snapshotSourceOf(ingressSnapshots),
    });
    ingress.core.observeAccessLog((e) => atGateway.push(e));
    grpc = echoClient(`127.0.0.1:${caller.sidecar.outboundPort}`, "item:50051");
  });
  afterAll(async () => {
    grpc.close();
    await ingress.close();
    ingressSnapshots.close();
    await mesh.close();
  });

  it("aborts jason's requests with 500 in the sidecar (FI): the app never sees them", async () => {
    // Istio's fault-injection task, virtual-service-ratings-test-abort.yaml.
    await route(
      ratingsRoutes([
        {
          match: [{ headers: { "end-user": { exact: "jason" } } }],
          fault: { abort: { percentage: { value: 100.0 }, httpStatus: 500 } },
          route: toRatingsV1,
        },
        { route: toRatingsV1 },
      ]),
    );
    const before = servedByRatings();
    const aborted = await get(caller.sidecar.outboundPort, "ratings:9080", jason);
    expect(aborted).toMatchObject({ status: 500, body: "fault filter abort" });
    expect(servedByRatings()).toBe(before);
    expect(flagsOf(outbound.at(-1))).toEqual({ fault_injected: true });
    expect(outbound.at(-1)?.common_properties?.upstream_cluster).toBe(
      "outbound|9080|v1|ratings.default.svc.cluster.local",
    );
    expect(outbound.at(-1)?.common_properties).not.toHaveProperty("upstream_remote_address");
    expect(
      caller.sidecar.core.stats.get(
        "http.outbound_0.0.0.0_" + String(caller.sidecar.outboundPort) + ".fault.aborts_injected",
      ),
    ).toBe(1);

    const anonymous = await get(caller.sidecar.outboundPort, "ratings:9080");
    expect(anonymous.status).toBe(200);
    expect((JSON.parse(anonymous.body) as { servedBy: string }).servedBy).toBe("ratings@v1");
    expect(servedByRatings()).toBe(before + 1);
    expect(flagsOf(outbound.at(-1))).toEqual({});
  });

  it("delays jason's requests, then forwards them (DI)", async () => {
    // Istio's fault-injection task, virtual-service-ratings-test-delay.yaml (7 s there).
    await route(
      ratingsRoutes([
        {
          match: [{ headers: { "end-user": { exact: "jason" } } }],
          fault: { delay: { percentage: { value: 100.0 }, fixedDelay: `${String(DELAY_MS)}ms` } },
          route: toRatingsV1,
        },
        { route: toRatingsV1 },
      ]),
    );
    const before = servedByRatings();
    const delayed = await get(caller.sidecar.outboundPort, "ratings:9080", jason);
    expect(delayed.status).toBe(200);
    expect(delayed.elapsedMs).toBeGreaterThanOrEqual(AT_LEAST_DELAY);
    expect(servedByRatings()).toBe(before + 1);
    expect(flagsOf(outbound.at(-1))).toEqual({ delay_injected: true });

    const anonymous = await get(caller.sidecar.outboundPort, "ratings:9080");
    expect(anonymous.status).toBe(200);
    expect(anonymous.elapsedMs).toBeLessThan(DELAY_MS);
  });

  it("delays first, then aborts, and nothing reaches the app (DI and FI)", async () => {
    await route(
      ratingsRoutes([
        {
          fault: {
            delay: { percentage: { value: 100 }, fixedDelay: `${String(DELAY_MS)}ms` },
            abort: { percentage: { value: 100 }, httpStatus: 503 },
          },
          route: toRatingsV1,
        },
      ]),
    );
    const before = servedByRatings();
    const r = await get(caller.sidecar.outboundPort, "ratings:9080");
    expect(r).toMatchObject({ status: 503, body: "fault filter abort" });
    expect(r.elapsedMs).toBeGreaterThanOrEqual(AT_LEAST_DELAY);
    expect(servedByRatings()).toBe(before);
    expect(flagsOf(outbound.at(-1))).toEqual({ delay_injected: true, fault_injected: true });
  });

  it("a caller that hangs up during the delay is never forwarded (DI with the downstream reset)", async () => {
    await route(
      ratingsRoutes([
        {
          fault: { delay: { percentage: { value: 100 }, fixedDelay: `${String(DELAY_MS)}ms` } },
          route: toRatingsV1,
        },
      ]),
    );
    const before = servedByRatings();
    const logged = new Promise<HTTPAccessLogEntry>((resolve) => {
      const off = caller.sidecar.core.observeAccessLog((e) => {
        off();
        resolve(e);
      });
    });
    const req = http.request({
      host: "127.0.0.1",
      port: caller.sidecar.outboundPort,
      path: "/ratings/0",
      headers: { host: "ratings:9080" },
    });
    req.on("error", () => undefined);
    req.end();
    setTimeout(() => req.destroy(), 50);
    const entry = await logged;
    expect(flagsOf(entry)).toEqual({ delay_injected: true, downstream_remote_reset: true });
    expect(entry.response).toEqual({});
    // Past the delay: the request would have been forwarded by now had the filter not stopped it.
    await new Promise((r) => setTimeout(r, DELAY_MS));
    expect(servedByRatings()).toBe(before);
  });

  it("a 0 % abort never fires; an abort without percentage never fires either (Envoy's default)", async () => {
    for (const abort of [{ httpStatus: 503, percentage: { value: 0 } }, { httpStatus: 503 }]) {
      await route(ratingsRoutes([{ fault: { abort }, route: toRatingsV1 }]));
      const before = servedByRatings();
      const r = await get(caller.sidecar.outboundPort, "ratings:9080");
      expect(r.status).toBe(200);
      expect(servedByRatings()).toBe(before + 1);
      expect(flagsOf(outbound.at(-1))).toEqual({});
    }
  });

  it("a gRPC abort answers trailers-only with the gRPC status; the gRPC app never sees the call", async () => {
    await route(
      itemRoutes([
        {
          fault: { abort: { grpcStatus: "UNAVAILABLE", percentage: { value: 100 } } },
          route: [{ destination: { host: "item" } }],
        },
      ]),
    );
    const before = item.app.served();
    const err = await new Promise<ServiceError | null>((resolve) => {
      grpc.Say({ text: "hi" }, new Metadata(), (e) => resolve(e));
    });
    expect(err?.code).toBe(14);
    expect(err?.details).toContain("fault filter abort");
    expect(item.app.served()).toBe(before);
    const entry = outbound.at(-1);
    expect(flagsOf(entry)).toEqual({ fault_injected: true });
    expect(entry?.response).toEqual({
      response_code: { value: 200 },
      response_headers: { "grpc-status": "14" },
    });
  });

  it("a split route sends the chosen destination's :authority (weighted cluster host rewrite)", async () => {
    const split = (weightV1: number): VirtualService =>
      ratingsRoutes([
        {
          route: [
            {
              destination: { host: "ratings", subset: "v1" },
              weight: weightV1,
              headers: { request: { set: { ":authority": "ratings-v1.internal" } } },
            },
            {
              destination: { host: "ratings", subset: "v2" },
              weight: 100 - weightV1,
              headers: { request: { set: { host: "ratings-v2.internal" } } },
            },
          ],
        },
      ]);
    for (const [weightV1, servedBy, host] of [
      [100, "ratings@v1", "ratings-v1.internal"],
      [0, "ratings@v2", "ratings-v2.internal"],
    ] as const) {
      await route(split(weightV1));
      const r = await get(caller.sidecar.outboundPort, "ratings:9080");
      const body = JSON.parse(r.body) as { servedBy: string; headers: Record<string, string> };
      expect(body.servedBy).toBe(servedBy);
      expect(body.headers.host).toBe(host);
    }
  });

  it("the ingress gateway obeys a fault of a route bound to its Gateway", async () => {
    await route(
      virtualService("ratings-ingress", {
        hosts: ["bookinfo.example.com"],
        gateways: ["default/bookinfo-gateway"],
        http: [
          {
            match: [{ headers: { "end-user": { exact: "jason" } } }],
            fault: {
              delay: { percentage: { value: 100 }, fixedDelay: `${String(DELAY_MS)}ms` },
              abort: { percentage: { value: 100 }, httpStatus: 500 },
            },
            route: [{ destination: { host: "ratings", subset: "v1", port: { number: 9080 } } }],
          },
          { route: [{ destination: { host: "ratings", subset: "v1", port: { number: 9080 } } }] },
        ],
      }),
    );
    const before = servedByRatings();
    const aborted = await get(ingress.port, "bookinfo.example.com", jason);
    expect(aborted).toMatchObject({ status: 500, body: "fault filter abort" });
    expect(aborted.elapsedMs).toBeGreaterThanOrEqual(AT_LEAST_DELAY);
    expect(servedByRatings()).toBe(before);
    expect(flagsOf(atGateway.at(-1))).toEqual({ delay_injected: true, fault_injected: true });

    const anonymous = await get(ingress.port, "bookinfo.example.com");
    expect(anonymous.status).toBe(200);
    expect(servedByRatings()).toBe(before + 1);
  });

  it("shows the fault on the route in /config_dump, as envoy.filters.http.fault per-route config", async () => {
    await route(
      ratingsRoutes([
        {
          name: "faulty",
          fault: {
            delay: { percentage: { value: 10 }, fixedDelay: "200ms" },
            abort: { percentage: { value: 100 }, httpStatus: 500 },
          },
          route: toRatingsV1,
        },
      ]),
    );
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get(
          {
            host: "127.0.0.1",
            port: caller.sidecar.adminPort,
            path: "/config_dump?resource=dynamic_route_configs",
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve(Buffer.concat(chunks).toString()));
          },
        )
        .on("error", reject);
    });
    const dump = JSON.parse(body) as {
      configs: { route_config: { virtual_hosts: { name: string; routes: Record<string, unknown>[] }[] } }[];
    };
    const vhost = dump.configs
      .flatMap((c) => c.route_config.virtual_hosts)
      .find((v) => v.name === "ratings.default.svc.cluster.local:9080");
    expect(vhost?.routes[0]?.typed_per_filter_config).toEqual({
      "envoy.filters.http.fault": {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault",
        delay: { fixed_delay: "0.200s", percentage: { numerator: 100_000, denominator: "MILLION" } },
        abort: { http_status: 500, percentage: { numerator: 1_000_000, denominator: "MILLION" } },
      },
    });
  });
});
