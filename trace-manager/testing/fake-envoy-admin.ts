import { createServer, type Server } from "node:http";

/** The figures the fake Envoy admin serves; a test changes them between reads. */
export interface FakeEnvoyState {
  /** ext_authz Checks that returned OK. */
  ok: number;
  failOpen: number;
  dropped: number;
  /** Answers 503 to everything while true. */
  down: boolean;
  /** The config epoch of upgrade `up-1` in the route configuration, or null for none. */
  epoch: number | null;
}

/**
 * A stand-in for the pod's Envoy admin on port 0, answering in Envoy's JSON formats
 * (`/stats?format=json` → `{"stats":[{name,value}]}`, `/clusters?format=json` → `cluster_statuses`,
 * `/config_dump?resource=dynamic_route_configs` → `configs[]` of DynamicRouteConfig). Its
 * counters are read from `state` on every request, so a test moves them as Envoy would.
 */
export function fakeEnvoyAdmin(state: FakeEnvoyState): Server {
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
            { name: "http.inbound_0.0.0.0_8080.ext_authz.ok", value: state.ok },
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
