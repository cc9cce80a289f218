import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvoyAdminClient } from "./client.js";
import { readEnvoyFigures, readEpochs, routeConfigNameRegex } from "./reader.js";
import { CLUSTERS, CLUSTERS_TEXT, STATS_TEXT } from "./testdata/admin-bodies.js";
import {
  ALLOW_ANY,
  dynamicRouteConfig,
  filteredDump,
  serviceVirtualHost,
  wildcardVirtualHost,
} from "./testdata/route-dumps.js";

const AUTH_V1 = "outbound|8080|v1|auth-service.shop.svc.cluster.local";
const ORDERS_V1 = "outbound|8080|v1|orders.shop.svc.cluster.local";

// Route configurations as a sidecar (`8080`) and a gateway (`http.80`) would hold them, plus one
// the name_regex must filter out; the server applies name_regex like Envoy does (on RC names).
const CONFIGS = [
  dynamicRouteConfig("8080", [
    serviceVirtualHost("auth-service", "shop", 8080, [{ name: "tranquil-up-a-e3", cluster: AUTH_V1 }]),
    serviceVirtualHost("orders", "shop", 8080, [{ name: "default", cluster: ORDERS_V1 }]),
    ALLOW_ANY,
  ]),
  dynamicRouteConfig("http.80", [
    wildcardVirtualHost(80, [{ name: "tranquil-up-a-e2.enrolled", cluster: AUTH_V1 }]),
  ]),
  dynamicRouteConfig("unrelated-rc", [serviceVirtualHost("auth-service", "shop", 8080, [])]),
];

let server: Server;
let baseUrl: string;
const configDumpCalls: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://admin");
    if (url.pathname === "/stats") {
      res.end(STATS_TEXT); // Envoy answers text when format is not honoured; both parse.
    } else if (url.pathname === "/clusters") {
      res.end(CLUSTERS_TEXT);
    } else if (url.pathname === "/config_dump") {
      const regex = url.searchParams.get("name_regex");
      configDumpCalls.push(regex ?? "");
      const re = regex === null ? null : new RegExp(regex);
      const kept = CONFIGS.filter((c) => re === null || re.test((c.route_config as { name: string }).name));
      res.setHeader("content-type", "application/json");
      res.end(filteredDump(kept));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("readEnvoyFigures", () => {
  it("reads /stats and /clusters and stamps the injected clock", async () => {
    const client = new EnvoyAdminClient({ baseUrl, timeoutMs: 2_000 });
    const figures = await readEnvoyFigures(client, () => 42, "sidecar");
    expect(figures.readAt).toBe(42);
    expect(figures.accessLogs.dropped).toBe(2);
    expect(figures.healthyEndpoints[CLUSTERS.REVIEWS_V1]).toBe(1);
  });
});

describe("readEpochs", () => {
  const client = () => new EnvoyAdminClient({ baseUrl, timeoutMs: 2_000 });

  it("reports watched upgrades only, leaving out those this proxy does not route to", async () => {
    const epochs = await readEpochs(client(), [
      { id: "up-a", hosts: ["auth-service"], watchEpochs: true },
      { id: "up-b", hosts: ["orders"], watchEpochs: true },
      { id: "up-c", hosts: ["payments"], watchEpochs: true },
      { id: "up-d", hosts: ["auth-service"], watchEpochs: false },
    ]);
    // up-a: min(3 in `8080`, 2 in `http.80`); `unrelated-rc` (no sentinel) was filtered out by name.
    expect(epochs).toEqual({ "up-a": 2, "up-b": null });
  });

  it("makes no call when nothing is watched", async () => {
    const before = configDumpCalls.length;
    expect(await readEpochs(client(), [{ id: "x", hosts: ["a"], watchEpochs: false }])).toEqual({});
    expect(configDumpCalls.length).toBe(before);
  });

  it("uses a caller-chosen name regex", async () => {
    const epochs = await readEpochs(
      client(),
      [{ id: "up-a", hosts: ["auth-service"], watchEpochs: true }],
      () => ".*",
    );
    expect(configDumpCalls.at(-1)).toBe(".*");
    expect(epochs).toEqual({ "up-a": null }); // `unrelated-rc` holds auth-service without a sentinel
  });
});

describe("routeConfigNameRegex", () => {
  const re = new RegExp(routeConfigNameRegex(["auth-service", "a.b"]));
  it.each([
    ["8080", true],
    ["http.80", true],
    ["https.443.https-443.gw.istio-system", true],
    ["auth-service.shop.svc.cluster.local:8080", true],
    ["a.b:80", true],
    ["aXb:80", false],
    ["orders.shop.svc.cluster.local:8080", false],
    ["http.80x", false],
  ])("%s → %s", (name, expected) => {
    expect(re.test(name)).toBe(expected);
  });
});
