import { Metadata } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { echoClient } from "../runtime/echo-app/echo-services.js";
import {
  IstioMetrics,
  ISTIO_DURATION_BUCKETS_MS,
  encodePeerMetadata,
  stampPeerMetadata,
  takePeerMetadata,
} from "./istio-metrics.js";
import { getWithHost } from "./testing/get-with-host.js";
import { TestMesh, type TestInstance } from "./testing/mesh-fixture.js";

/** The series of `metric` on an admin port's `/stats/prometheus`, as label maps with their value. */
async function scrape(adminPort: number, metric = "istio_requests_total"): Promise<Series[]> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/stats/prometheus`);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4");
  return parseExposition(await res.text()).filter((s) => s.name === metric);
}

interface Series {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly labelOrder: string[];
  readonly value: number;
}

function parseExposition(text: string): Series[] {
  const out: Series[] = [];
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    const labelOrder: string[] = [];
    for (const l of (m[2] ?? "").matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1] ?? ""] = l[2] ?? "";
      labelOrder.push(l[1] ?? "");
    }
    out.push({ name: m[1] ?? "", labels, labelOrder, value: Number(m[3]) });
  }
  return out;
}

const find = (series: Series[], where: Record<string, string>): Series | undefined =>
  series.find((s) => Object.entries(where).every(([k, v]) => s.labels[k] === v));

describe("Istio's standard metrics on a proxy's /stats/prometheus", () => {
  const mesh = new TestMesh();
  let caller: TestInstance;
  let shopV2: TestInstance;
  let item: TestInstance;

  beforeAll(async () => {
    caller = await mesh.start("frontend", "v1", "http");
    shopV2 = await mesh.start("shop", "v2", "http");
    item = await mesh.start("item", "v1");
  });
  afterAll(() => mesh.close());

  it("counts a served request on both sides, with the labels in the order Istio's sidecars print them", async () => {
    mesh.routing.routes.set("shop", { port: 8080, subset: "v2", labels: { version: "v2" } });
    for (let i = 0; i < 3; i++)
      expect((await getWithHost(caller.sidecar.outboundPort, "shop:8080")).status).toBe(200);
    const source = find(await scrape(caller.sidecar.adminPort), { reporter: "source", response_code: "200" });
    expect(source?.value).toBe(3);
    expect(source?.labelOrder.slice(0, 8)).toEqual([
      "response_code",
      "reporter",
      "source_workload",
      "source_workload_namespace",
      "source_principal",
      "source_app",
      "source_version",
      "source_cluster",
    ]);
    expect(source?.labels).toMatchObject({
      source_workload: "frontend-v1",
      source_workload_namespace: "default",
      source_app: "frontend",
      source_version: "v1",
      destination_workload: "shop-v2",
      destination_workload_namespace: "default",
      destination_app: "shop",
      destination_version: "v2",
      destination_service: "shop.default.svc.cluster.local",
      destination_service_name: "shop",
      destination_service_namespace: "default",
      request_protocol: "http",
      response_flags: "-",
      grpc_response_status: "",
      connection_security_policy: "unknown",
      destination_canonical_revision: "v2",
    });
    // The server side learned its caller through metadata exchange, and the app never saw it.
    const dest = find(await scrape(shopV2.sidecar.adminPort), { reporter: "destination" });
    expect(dest?.value).toBe(3);
    expect(dest?.labels).toMatchObject({
      source_workload: "frontend-v1",
      source_version: "v1",
      destination_workload: "shop-v2",
      destination_version: "v2",
      destination_service: "shop.default.svc.cluster.local",
      connection_security_policy: "none",
      response_code: "200",
    });
    const body = JSON.parse((await getWithHost(caller.sidecar.outboundPort, "shop:8080")).body) as {
      headers: Record<string, string>;
    };
    expect(body.headers["x-envoy-peer-metadata"]).toBeUndefined();
    expect(body.headers["x-envoy-peer-metadata-id"]).toBeUndefined();
  });

  it("counts local replies as Istio does: UH and NC are 503s with their flag, NR a 404", async () => {
    mesh.routing.routes.set("shop", { port: 8080, subset: "v3", labels: { version: "v3" } });
    expect((await getWithHost(caller.sidecar.outboundPort, "shop")).status).toBe(503);
    mesh.routing.routes.set("shop", { port: 8080, subset: "v4", labels: { version: "v4" }, missing: true });
    expect((await getWithHost(caller.sidecar.outboundPort, "shop")).status).toBe(503);
    expect((await getWithHost(caller.sidecar.outboundPort, "nowhere")).status).toBe(404);
    const series = await scrape(caller.sidecar.adminPort);
    const uh = find(series, { response_flags: "UH" });
    expect(uh?.labels).toMatchObject({
      response_code: "503",
      destination_workload: "unknown",
      destination_service: "shop.default.svc.cluster.local",
      destination_service_name: "shop",
    });
    expect(find(series, { response_flags: "NC" })?.labels).toMatchObject({
      response_code: "503",
      destination_service: "shop",
      destination_service_namespace: "unknown",
    });
    expect(find(series, { response_flags: "NR" })?.labels).toMatchObject({
      response_code: "404",
      destination_service: "nowhere",
    });
  });

  it("labels gRPC calls with their grpc-status, from the trailers or a trailers-only reply", async () => {
    const grpcCaller = await mesh.start("grpc-frontend", "v1");
    mesh.routing.routes.set("item", { port: 50051, subset: "v1", labels: { version: "v1" } });
    const client = echoClient(`127.0.0.1:${grpcCaller.sidecar.outboundPort}`, "item");
    const say = (fail: number): Promise<unknown> =>
      new Promise((resolve) => client.Say({ text: "x", fail_code: fail }, new Metadata(), (e) => resolve(e)));
    await say(0);
    await say(5);
    client.close();
    const series = await scrape(item.sidecar.adminPort);
    expect(find(series, { request_protocol: "grpc", grpc_response_status: "0" })?.labels).toMatchObject({
      response_code: "200",
      source_workload: "grpc-frontend-v1",
      destination_workload: "item-v1",
    });
    expect(find(series, { request_protocol: "grpc", grpc_response_status: "5" })?.value).toBe(1);
  });

  it("keeps a cumulative duration histogram with Envoy's default buckets", async () => {
    const buckets = (
      await scrape(caller.sidecar.adminPort, "istio_request_duration_milliseconds_bucket")
    ).filter((s) => s.labels.response_code === "200" && s.labels.reporter === "source");
    expect(buckets.map((b) => b.labels.le)).toEqual([...ISTIO_DURATION_BUCKETS_MS.map(String), "+Inf"]);
    const counts = buckets.map((b) => b.value);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)).toBe(4);
    const count = await scrape(caller.sidecar.adminPort, "istio_request_duration_milliseconds_count");
    expect(find(count, { response_code: "200", reporter: "source" })?.value).toBe(4);
  });
});

describe("IstioMetrics", () => {
  it("escapes label values and renders nothing before the first request", () => {
    const m = new IstioMetrics();
    expect(m.renderPrometheus()).toBe("");
    m.record({
      reporter: "source",
      destinationService: 'we"ird\\host',
      serviceKnown: false,
      grpc: false,
      status: 200,
      flags: ["DI", "UT"],
      durationMs: 7,
    });
    const text = m.renderPrometheus();
    expect(text).toContain('destination_service="we\\"ird\\\\host"');
    expect(text).toContain('response_flags="DI,UT"');
    expect(text).toContain('le="5"} 0');
    expect(text).toContain('le="10"} 1');
    expect(text).toMatch(/istio_request_duration_milliseconds_sum\{[^}]*\} 7\n/);
  });

  it("round-trips the metadata-exchange headers and removes them", () => {
    const headers: Record<string, string> = {};
    stampPeerMetadata(
      headers,
      "sidecar~x",
      encodePeerMetadata({ workload: "a-v1", namespace: "ns", labels: { app: "a" } }),
    );
    expect(Object.keys(headers).sort()).toEqual(["x-envoy-peer-metadata", "x-envoy-peer-metadata-id"]);
    expect(takePeerMetadata(headers)).toEqual({ workload: "a-v1", namespace: "ns", labels: { app: "a" } });
    expect(headers).toEqual({});
    expect(takePeerMetadata({ "x-envoy-peer-metadata": "not base64 json" })).toBeUndefined();
  });
});
