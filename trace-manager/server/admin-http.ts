import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

/** What the admin endpoint asks of the TraceManager. */
export interface AdminProbes {
  readonly registry: Registry;
  /** Resolves when the store answers. */
  readonly storeReachable: () => Promise<void>;
  readonly readyTimeoutMs: number;
}

/** A started admin HTTP server. */
export interface AdminServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Admin HTTP with node:http (lighter than express for a per-pod sidecar): `/metrics` (prom-client),
 * `/healthz` (the process serves), `/readyz` (the store answers within the timeout).
 */
export async function startAdminServer(
  host: string,
  port: number,
  probes: AdminProbes,
): Promise<AdminServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    if (path === "/readyz") {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`store did not answer within ${probes.readyTimeoutMs} ms`)),
          probes.readyTimeoutMs,
        );
      });
      Promise.race([probes.storeReachable(), timeout])
        .then(
          () => res.writeHead(200, { "content-type": "text/plain" }).end("ready\n"),
          (err: unknown) =>
            res
              .writeHead(503, { "content-type": "text/plain" })
              .end(`not ready: ${err instanceof Error ? err.message : String(err)}\n`),
        )
        .finally(() => clearTimeout(timer));
      return;
    }
    if (path === "/metrics") {
      probes.registry.metrics().then(
        (body) => res.writeHead(200, { "content-type": probes.registry.contentType }).end(body),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  });
  // Admin requests are tiny; close idle keep-alive sockets so shutdown is quick.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) =>
      reject(new Error(`cannot listen for admin HTTP on ${host}:${port}`, { cause: err })),
    );
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
