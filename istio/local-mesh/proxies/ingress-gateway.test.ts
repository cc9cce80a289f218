import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEnvoyProtos } from "../../../trace-manager/proto/load.js";
import type { CheckResponse, HTTPAccessLogEntry } from "../../../trace-manager/proto/types.js";
import { destinationRule, gateway, virtualService } from "../../api/builders.js";
import { planVirtualServices } from "../../../controller/istio/routes/index.js";
import type { RoutePlanIntent } from "../../../controller/engine/types.js";
import { startIngressGateway, type IngressGateway } from "./ingress-gateway.js";
import { ProxyConfigHolder } from "../control-plane/proxy-config.js";
import { snapshotSourceOf } from "./holder-source.js";
import { getWithHost } from "./testing/get-with-host.js";
import { SnapshotMesh } from "./testing/snapshot-mesh.js";
import { socketDir, startRecordingAuthz } from "./testing/trace-manager-fixture.js";

async function get(
  port: number,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: { servedBy: string; headers: Record<string, string> } }> {
  const r = await getWithHost(port, "shop.example.com", { path: "/orders", headers });
  return { status: r.status, body: JSON.parse(r.body || "{}") as never };
}

// The Gateway the ingress serves: Istio's ingress gateway labels, every host on port 80.
const tranquilGateway = gateway("tranquil-gateway", {
  selector: { istio: "ingressgateway" },
  servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
});

async function statusOf(port: number, host: string): Promise<number> {
  return (await getWithHost(port, host)).status;
}

// The ingress gateway with the real routing evaluator and a recording ext_authz server.
describe("ingress gateway", () => {
  const mesh = new SnapshotMesh();
  let dir: { path: string; remove(): Promise<void> };
  let authz: Awaited<ReturnType<typeof startRecordingAuthz>>;
  let reply: CheckResponse = { status: { code: 0 } };
  const gateways: IngressGateway[] = [];
  const gwSnapshots: ProxyConfigHolder[] = [];
  const logs: HTTPAccessLogEntry[] = [];

  const startGateway = async (clearRouteCache: boolean, socket = "gw.sock"): Promise<IngressGateway> => {
    const snapshots = new ProxyConfigHolder({ workerLag: { minMs: 0, maxMs: 0 } });
    gwSnapshots.push(snapshots);
    const gw = await startIngressGateway({
      namespace: "default",
      routePort: 80,
      snapshots: snapshotSourceOf(snapshots),
      clearRouteCache,
      hooks: {
        socketPath: join(dir.path, socket),
        protos: loadEnvoyProtos(),
        checkTimeoutMs: 1_000,
        als: { flushIntervalMs: 50 },
      },
    });
    gw.core.observeAccessLog((e) => logs.push(e));
    gateways.push(gw);
    return gw;
  };

  beforeAll(async () => {
    dir = await socketDir();
    authz = await startRecordingAuthz(join(dir.path, "gw.sock"), () => reply);
    await mesh.start("api", "v1", "http", 8080);
    await mesh.start("api", "v2", "http", 8080);
    mesh.destinationRules = [
      destinationRule("api", {
        host: "api",
        subsets: [
          { name: "v1", labels: { version: "v1" } },
          { name: "v2", labels: { version: "v2" } },
        ],
      }),
    ];
    mesh.gateways = [tranquilGateway];
    mesh.virtualServices = [
      virtualService("api-ingress", {
        hosts: ["shop.example.com"],
        gateways: ["default/tranquil-gateway"],
        http: [
          {
            name: "enrolled",
            match: [{ headers: { "x-tranquil-release": { exact: "u1" } } }],
            route: [{ destination: { host: "api", subset: "v2", port: { number: 8080 } } }],
          },
          { name: "main", route: [{ destination: { host: "api", subset: "v1", port: { number: 8080 } } }] },
        ],
      }),
    ];
  });
  afterAll(async () => {
    for (const g of gateways) await g.close();
    await mesh.close();
    await authz.close();
    await dir.remove();
  });

  it("replaces x-request-id at the edge, checks with a stream id, injects trace headers after the check", async () => {
    const gw = await startGateway(true);
    mesh.push([], gwSnapshots);
    const r = await get(gw.port, { "x-request-id": "client-chosen" });
    expect(r.status).toBe(200);
    expect(r.body.servedBy).toBe("api@v1");
    const rid = r.body.headers["x-request-id"];
    expect(rid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(rid).not.toBe("client-chosen");
    const check = authz.requests.at(-1)?.attributes?.request?.http;
    expect(check?.headers?.["x-request-id"]).toBe(rid);
    expect(check?.id).toMatch(/^\d+$/);
    expect(check?.id).not.toBe(rid);
    // The router injects tracing after the filters: the check never saw them, the app does.
    expect(check?.headers?.["x-b3-traceid"]).toBeUndefined();
    expect(r.body.headers["x-b3-traceid"]).toMatch(/^[0-9a-f]{32}$/);
    expect(r.body.headers["x-b3-sampled"]).toBe("1");
    expect(r.body.headers.traceparent).toBe(
      `00-${r.body.headers["x-b3-traceid"] ?? ""}-${r.body.headers["x-b3-spanid"] ?? ""}-01`,
    );
    await new Promise((res) => setTimeout(res, 20));
    const entry = logs.find((e) => e.request?.request_id === rid);
    expect(entry?.common_properties?.upstream_cluster).toBe("outbound|8080|v1|api.default.svc.cluster.local");
    expect(entry?.response?.response_code?.value).toBe(200);
    expect(entry?.request?.request_headers?.["x-b3-traceid"]).toBe(r.body.headers["x-b3-traceid"]);
  });

  it("re-matches the route after the check when route-cache clearing is on, and not otherwise", async () => {
    reply = {
      status: { code: 0 },
      ok_response: {
        headers: [
          { header: { key: "x-tranquil-release", value: "u1" }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" },
        ],
      },
    };
    const clearing = gateways[0]!;
    const keeping = await startGateway(false);
    mesh.push([], gwSnapshots);
    const a = await get(clearing.port);
    const b = await get(keeping.port);
    expect(a.body.headers["x-tranquil-release"]).toBe("u1");
    expect(a.body.servedBy).toBe("api@v2");
    expect(b.body.headers["x-tranquil-release"]).toBe("u1");
    expect(b.body.servedBy).toBe("api@v1");
    reply = { status: { code: 0 } };
  });

  it("answers 404 NR for a host no gateway-bound VirtualService holds", async () => {
    expect(await statusOf(gateways[0]!.port, "other.example.com")).toBe(404);
  });

  it("counts what it routes in Istio's metrics as the source, and the sidecar learns it was the caller", async () => {
    const gw = gateways[0]!;
    expect((await get(gw.port)).status).toBe(200);
    const text = await (await fetch(`http://127.0.0.1:${gw.adminPort}/stats/prometheus`)).text();
    const served = text
      .split("\n")
      .find((l) => l.startsWith("istio_requests_total{") && l.includes('response_code="200"'));
    expect(served).toMatch(
      /^istio_requests_total\{response_code="200",reporter="source",source_workload="istio-ingressgateway",source_workload_namespace="default",.*destination_workload="api-v1",.*destination_service="api\.default\.svc\.cluster\.local",.*\} \d+$/,
    );
    expect(text).toMatch(/istio_requests_total\{response_code="404",[^}]*response_flags="NR"[^}]*\} \d+\n/);
    const v1 = mesh.instances.find((i) => i.version === "v1")!;
    const atV1 = await (await fetch(`http://127.0.0.1:${v1.sidecar.adminPort}/stats/prometheus`)).text();
    expect(atV1).toMatch(
      /istio_requests_total\{response_code="200",reporter="destination",source_workload="istio-ingressgateway",[^}]*source_app="istio-ingressgateway"[^}]*destination_workload="api-v1"/,
    );
  });

  it("routes a host only while a Gateway that selects the proxy exposes it on its port", async () => {
    const port = gateways[0]!.port;
    expect(await statusOf(port, "shop.example.com")).toBe(200);
    const variants = [
      [], // no Gateway at all
      [gateway("tranquil-gateway", { ...tranquilGateway.spec, selector: { istio: "egressgateway" } })],
      [
        gateway("tranquil-gateway", {
          ...tranquilGateway.spec,
          servers: [{ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["*"] }],
        }),
      ],
      [
        gateway("tranquil-gateway", {
          ...tranquilGateway.spec,
          servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*.example.org"] }],
        }),
      ],
      [
        gateway("tranquil-gateway", {
          ...tranquilGateway.spec,
          servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["shop/*"] }],
        }),
      ],
    ];
    const pushed = async (): Promise<void> => {
      const { epoch } = mesh.push([], gwSnapshots);
      await Promise.all(gwSnapshots.map((h) => h.whenRoutingEpoch(epoch)));
    };
    for (const gws of variants) {
      mesh.gateways = gws;
      await pushed();
      expect(await statusOf(port, "shop.example.com"), JSON.stringify(gws)).toBe(404);
    }
    mesh.gateways = [tranquilGateway];
    await pushed();
    expect(await statusOf(port, "shop.example.com")).toBe(200);
  });

  it("enrols a request whose Check failed open through the planned gateway stamp (ADR 0090)", async () => {
    // No TraceManager listens on this gateway's socket: every Check fails open.
    const gw = await startGateway(true, "no-trace-manager.sock");
    const user = virtualService("shop", {
      hosts: ["shop.example.com"],
      gateways: ["default/tranquil-gateway"],
      http: [
        { name: "main", route: [{ destination: { host: "api", subset: "v1", port: { number: 8080 } } }] },
      ],
    });
    const planned = (intent: RoutePlanIntent) =>
      planVirtualServices({
        upgradeId: "u1",
        namespace: "default",
        services: [{ name: "api", from: "v1", to: "v2" }],
        intent,
        epoch: 7,
        enrolmentHeader: "x-tranquil-release",
        virtualServices: [user],
      }).upserts.filter((vs) => vs.metadata.name === "shop");
    const before = mesh.virtualServices;
    const serve = async (intent: RoutePlanIntent) => {
      mesh.virtualServices = planned(intent);
      const { epoch } = mesh.push([], gwSnapshots);
      await Promise.all(gwSnapshots.map((h) => h.whenRoutingEpoch(epoch)));
      return get(gw.port);
    };
    try {
      // Without stamps a failed-open request is non-enrolled: the held clone sends it to old.
      const unstamped = await serve({ mode: "doorOpen", sentinel: true, pins: [] });
      expect(unstamped.body.servedBy).toBe("api@v1");
      expect(unstamped.body.headers["x-tranquil-release"]).toBeUndefined();
      const stamped = await serve({ mode: "doorOpen", sentinel: true, pins: [], stamps: true });
      expect(stamped.status).toBe(200);
      expect(stamped.body.servedBy).toBe("api@v2");
      // The application receives the enrolment header and forwards it on every hop.
      expect(stamped.body.headers["x-tranquil-release"]).toBe("u1");
    } finally {
      mesh.virtualServices = before;
      mesh.push([], gwSnapshots);
    }
  });
});
