import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { MemoryTraceStore } from "../store/memory.js";
import { startHarness, type Harness } from "../testing/harness.js";

/**
 * A stand-in for the pod's Envoy admin on port 0, answering in Envoy's JSON formats
 * (`/stats?format=json` → `{"stats":[{name,value}]}`, `/clusters?format=json` → `cluster_statuses`,
 * `/config_dump?resource=dynamic_route_configs` → `configs[]` of DynamicRouteConfig).
 */
function fakeEnvoyAdmin(state: {
  failOpen: number;
  dropped: number;
  down: boolean;
  epoch: number | null;
}): Server {
  return createServer((req, res) => {
    if (state.down) {
      res.writeHead(503).end();
      return;
    }
    const path = (req.url ?? "").split("?")[0];
    if (path === "/stats") {
      res.end(
        JSON.stringify({
          stats: [
            { name: "http.inbound_0.0.0.0_8080.ext_authz.ok", value: 10 },
            { name: "http.inbound_0.0.0.0_8080.ext_authz.error", value: 0 },
            { name: "http.inbound_0.0.0.0_8080.ext_authz.failure_mode_allowed", value: state.failOpen },
            { name: "access_logs.grpc_access_log.logs_written", value: 5 },
            { name: "access_logs.grpc_access_log.logs_dropped", value: state.dropped },
            { name: "cluster.outbound|80|v1|ratings.default.svc.cluster.local.upstream_rq_active", value: 2 },
          ],
        }),
      );
      return;
    }
    if (path === "/clusters") {
      res.end(
        JSON.stringify({
          cluster_statuses: [
            {
              name: "outbound|80|v1|ratings.default.svc.cluster.local",
              host_statuses: [
                {
                  address: { socket_address: { address: "10.0.0.7", port_value: 8080 } },
                  health_status: { eds_health_status: "HEALTHY" },
                },
              ],
            },
          ],
        }),
      );
      return;
    }
    if (path === "/config_dump") {
      const routes = [
        {
          match: { prefix: "/" },
          route: { cluster: "outbound|80|v1|ratings.default.svc.cluster.local" },
          name: "default",
        },
      ];
      if (state.epoch !== null)
        routes.unshift({
          match: { prefix: "/" },
          route: { cluster: "x" },
          name: `tranquil-up-1-e${state.epoch}`,
        });
      res.end(
        JSON.stringify({
          configs: [
            {
              "@type": "type.googleapis.com/envoy.admin.v3.RoutesConfigDump.DynamicRouteConfig",
              version_info: "2026-01-01T00:00:00Z/7",
              route_config: {
                "@type": "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
                name: "80",
                virtual_hosts: [
                  {
                    name: "ratings.default.svc.cluster.local:80",
                    domains: ["ratings.default.svc.cluster.local", "ratings"],
                    routes,
                  },
                ],
              },
            },
          ],
        }),
      );
      return;
    }
    res.writeHead(404).end();
  });
}

describe("heartbeat with the pod's Envoy admin", () => {
  const state = { failOpen: 0, dropped: 0, down: false, epoch: 3 as number | null };
  let admin: Server;
  let store: MemoryTraceStore;
  let h: Harness;

  beforeAll(async () => {
    admin = fakeEnvoyAdmin(state);
    await new Promise<void>((r) => admin.listen(0, "127.0.0.1", r));
    store = new MemoryTraceStore();
    await store.putUpgrade({ id: "up-1", hosts: ["ratings"], weight: 10, watchEpochs: true, at: Date.now() });
    h = await startHarness(
      {
        dirtyHoldMs: 0,
        watermarkLagMs: 0,
        weightCacheMs: 0,
        envoyAdminUrl: `http://127.0.0.1:${(admin.address() as AddressInfo).port}`,
      },
      { store },
    );
  });
  afterAll(async () => {
    await h.close();
    await store.close();
    await new Promise((r) => admin.close(r));
  });

  it("reports Envoy's figures and the config epoch of watched upgrades", async () => {
    await h.tm.heartbeat(); // warms the upgrade cache
    const report = await h.tm.heartbeat();
    expect(report.dirty).toBe(false);
    expect(report.envoy?.extAuthz.ok).toBe(10);
    expect(report.envoy?.healthyEndpoints["outbound|80|v1|ratings.default.svc.cluster.local"]).toBe(1);
    expect(report.envoy?.upstream["outbound|80|v1|ratings.default.svc.cluster.local"]?.rqActive).toBe(2);
    expect(report.epochs).toEqual({ "up-1": 3 });
    state.epoch = null;
    expect((await h.tm.heartbeat()).epochs).toEqual({ "up-1": null });
    state.epoch = 4;
  });

  it("a rise in failure_mode_allowed or logs_dropped makes the pod dirty until a reading shows it stable", async () => {
    const clean = await h.tm.heartbeat();
    state.failOpen = 1;
    const rose = await h.tm.heartbeat();
    expect(rose.dirty).toBe(true);
    expect(rose.dirtyReasons).toEqual(["envoy-ext-authz-failure-mode-allowed"]);
    expect(rose.watermark).toBe(clean.watermark);
    // Unchanged since the last reading: certified again (hold is 0 in this test).
    const stable = await h.tm.heartbeat();
    expect(stable.dirty).toBe(false);
    expect(stable.watermark).toBeGreaterThanOrEqual(rose.watermark);

    state.dropped = 2;
    expect((await h.tm.heartbeat()).dirtyReasons).toEqual(["envoy-als-logs-dropped"]);
    expect((await h.tm.heartbeat()).dirty).toBe(false);
  });

  it("an unreadable Envoy admin keeps the pod dirty until a read succeeds", async () => {
    state.down = true;
    const down = await h.tm.heartbeat();
    expect(down.dirtyReasons).toContain("envoy-admin-unreadable");
    expect(down.epochs).toEqual({ "up-1": null });
    expect((await h.tm.heartbeat()).dirty).toBe(true);
    state.down = false;
    expect((await h.tm.heartbeat()).dirty).toBe(false);
  });
});
