import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvoyAdminClient, EnvoyAdminError, FIGURE_STATS_FILTER } from "./client.js";
import { CLUSTERS, CLUSTERS_JSON, STATS_JSON } from "./testdata/admin-bodies.js";
import { dynamicRouteConfig, filteredDump, serviceVirtualHost } from "./testdata/route-dumps.js";

// A real HTTP server on port 0 standing in for Envoy's admin listener. It answers like Envoy:
// JSON with `?format=json`, 404 with a text body for an unknown resource, and it records each URL.
const requests: URL[] = [];
let mode: "ok" | "slow" | "500" | "huge" | "garbage" = "ok";
let server: Server;
let baseUrl: string;

const ROUTES = filteredDump([
  dynamicRouteConfig("8080", [
    serviceVirtualHost("auth-service", "shop", 8080, [
      { name: "tranquil-u1-e2", cluster: "outbound|8080|v1|auth-service.shop.svc.cluster.local" },
    ]),
  ]),
]);

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", "http://admin");
  requests.push(url);
  if (mode === "slow") return; // never answers; the client's deadline must fire
  if (mode === "500") {
    res.writeHead(500, { "content-type": "text/plain" }).end("boom");
    return;
  }
  if (mode === "huge") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(`{"stats":[${'{"name":"x","value":1},'.repeat(5000)}{"name":"y","value":2}]}`);
    return;
  }
  if (mode === "garbage") {
    res.writeHead(200, { "content-type": "application/json" }).end("{not json");
    return;
  }
  const body =
    url.pathname === "/stats"
      ? STATS_JSON
      : url.pathname === "/clusters"
        ? CLUSTERS_JSON
        : url.pathname === "/config_dump"
          ? ROUTES
          : undefined;
  if (body === undefined) {
    res.writeHead(404, { "content-type": "text/plain" }).end("invalid path. admin commands are:\n");
    return;
  }
  res.writeHead(200, { "content-type": "application/json" }).end(body);
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function failure(p: Promise<unknown>): Promise<EnvoyAdminError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(EnvoyAdminError);
    return e as EnvoyAdminError;
  }
  throw new Error("expected the call to fail");
}

describe("EnvoyAdminClient against a real HTTP server", () => {
  const client = () => new EnvoyAdminClient({ baseUrl, timeoutMs: 2_000 });

  it("reads /stats as json, asking only for the figure stats", async () => {
    mode = "ok";
    const stats = await client().stats();
    expect(stats.get("access_logs.grpc_access_log.logs_dropped")).toBe(2);
    const url = requests.at(-1)!;
    expect(url.pathname).toBe("/stats");
    expect(url.searchParams.get("format")).toBe("json");
    expect(url.searchParams.get("filter")).toBe(FIGURE_STATS_FILTER);
  });

  it("reads /clusters as json", async () => {
    mode = "ok";
    const clusters = await client().clusters();
    expect(clusters.get(CLUSTERS.REVIEWS_V1)?.filter((h) => h.healthy)).toHaveLength(1);
    expect(requests.at(-1)?.search).toBe("?format=json");
  });

  it("reads dynamic route configurations with an encoded name_regex", async () => {
    mode = "ok";
    const configs = await client().routeConfigs("^(8080|http\\.80)$");
    expect(configs.map((c) => c.name)).toEqual(["8080"]);
    const url = requests.at(-1)!;
    expect(url.pathname).toBe("/config_dump");
    expect(url.searchParams.get("resource")).toBe("dynamic_route_configs");
    expect(url.searchParams.get("name_regex")).toBe("^(8080|http\\.80)$");
    await client().routeConfigs();
    expect(requests.at(-1)?.searchParams.has("name_regex")).toBe(false);
  });

  it("fails with kind `status` and the URL on a non-2xx answer", async () => {
    mode = "500";
    const err = await failure(client().stats());
    expect(err.kind).toBe("status");
    expect(err.status).toBe(500);
    expect(err.url).toContain(`${baseUrl}/stats?`);
    expect(err.message).toContain("HTTP 500");
  });

  it("fails with kind `timeout` when Envoy does not answer in time", async () => {
    mode = "slow";
    const err = await failure(new EnvoyAdminClient({ baseUrl, timeoutMs: 150 }).clusters());
    expect(err.kind).toBe("timeout");
    expect(err.message).toContain("150 ms");
    expect(err.cause).toBeDefined();
  });

  it("fails with kind `too_large` past the body cap", async () => {
    mode = "huge";
    const err = await failure(
      new EnvoyAdminClient({ baseUrl, timeoutMs: 2_000, maxBodyBytes: 10_000 }).stats(),
    );
    expect(err.kind).toBe("too_large");
  });

  it("fails with kind `parse` and the parser's error as cause", async () => {
    mode = "garbage";
    const err = await failure(client().routeConfigs());
    expect(err.kind).toBe("parse");
    expect(err.cause).toBeInstanceOf(Error);
  });

  it("fails with kind `network` when nothing listens", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await failure(
      new EnvoyAdminClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 2_000 }).stats(),
    );
    expect(err.kind).toBe("network");
    expect(err.url).toContain(`127.0.0.1:${port}/stats`);
  });

  it("uses an injected fetch", async () => {
    const seen: string[] = [];
    const fetchImpl: typeof fetch = (input) => {
      seen.push(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
      return Promise.resolve(new Response("access_logs.grpc_access_log.logs_written: 5\n"));
    };
    const stats = await new EnvoyAdminClient({
      baseUrl: "http://envoy:15000",
      timeoutMs: 100,
      fetchImpl,
    }).stats();
    expect(stats.get("access_logs.grpc_access_log.logs_written")).toBe(5);
    expect(seen[0]).toMatch(/^http:\/\/envoy:15000\/stats\?format=json&filter=/);
  });
});
