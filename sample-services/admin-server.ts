import { createServer, type Server } from "node:http";
import type { Activity } from "./activity.js";
import type { ServiceMetrics } from "./metrics.js";

/** A started admin endpoint. */
export interface AdminServer {
  /** `"host:port"` */
  readonly address: string;
  close(): Promise<void>;
}

/**
 * The metrics/health surface of a gRPC sample service (node:http): `GET /metrics` (Prometheus
 * text) and `GET /healthz` (JSON with lastServedAt and inFlight). Neither counts as traffic.
 */
export async function startAdminServer(opts: {
  readonly host: string;
  readonly port: number;
  readonly service: string;
  readonly version: string;
  readonly metrics: ServiceMetrics;
  readonly activity: Activity;
  readonly isServing: () => boolean;
}): Promise<AdminServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/metrics") {
      opts.metrics.registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": opts.metrics.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
      return;
    }
    if (req.method === "GET" && path === "/healthz") {
      const serving = opts.isServing();
      res.writeHead(serving ? 200 : 503, { "content-type": "application/json" }).end(
        JSON.stringify({
          status: serving ? "serving" : "stopping",
          service: opts.service,
          version: opts.version,
          lastServedAt: opts.activity.lastServedAt(),
          inFlight: opts.activity.inFlight(),
        }),
      );
      return;
    }
    res
      .writeHead(404, { "content-type": "application/json" })
      .end(JSON.stringify({ error: `no route for ${path}` }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) =>
      reject(
        new Error(`${opts.service}: admin could not listen on ${opts.host}:${opts.port}`, { cause: err }),
      ),
    );
    server.listen(opts.port, opts.host, resolve);
  });
  const addr = server.address();
  if (addr === null || typeof addr === "string")
    throw new Error(`${opts.service}: could not read the admin port`);
  return {
    address: `${opts.host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
