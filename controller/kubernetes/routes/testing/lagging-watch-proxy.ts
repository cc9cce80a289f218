/**
 * An HTTPS proxy in front of the test API server whose watch streams lag: every chunk of a
 * `watch=true` response reaches the client `lagMs` late, in order, while every other request
 * passes at once. It stands in for a loaded API server or a slow network, where an informer
 * learns of a write well after the write's own response; the proxy serves with the API
 * server's own certificate (valid for 127.0.0.1 under the same CA), so clients see no difference.
 */
import { readFile } from "node:fs/promises";
import { createServer, request, type Server } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import type { ControlPlane } from "../../../../test/cluster/control-plane/control-plane.js";

/** A running proxy. */
export interface LaggingWatchProxy {
  /** `https://127.0.0.1:<port>`. */
  readonly url: string;
  /** `kc` with its cluster's server replaced by the proxy. */
  through(kc: KubeConfig): KubeConfig;
  stop(): Promise<void>;
}

/** Starts the proxy in front of `cp`'s API server. */
export async function startLaggingWatchProxy(cp: ControlPlane, lagMs: number): Promise<LaggingWatchProxy> {
  const bundle = await readFile(join(cp.dir, "pki", "apiserver.crt"), "utf8");
  const key = await readFile(join(cp.dir, "pki", "apiserver.key"), "utf8");
  const target = new URL(cp.server);
  const sockets = new Set<Socket>();
  const server: Server = createServer({ cert: bundle, key }, (req, res) => {
    const watching = new URL(req.url ?? "/", target).searchParams.get("watch") === "true";
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method ?? "GET",
        path: req.url ?? "/",
        headers: { ...req.headers, host: target.host },
        ca: cp.caPem,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        // A watch sends its headers at once and its first event maybe a minute later.
        res.flushHeaders();
        if (!watching) {
          answer.pipe(res);
          return;
        }
        // Equal delays fire in order, so the stream keeps its order, only later.
        answer.on("data", (chunk: Buffer) => setTimeout(() => res.write(chunk), lagMs));
        answer.on("end", () => setTimeout(() => res.end(), lagMs));
      },
    );
    upstream.on("error", () => res.destroy());
    res.on("close", () => upstream.destroy());
    req.pipe(upstream);
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    through: (kc) => {
      const cluster = kc.getCurrentCluster();
      const user = kc.getCurrentUser();
      if (cluster === null || user === null) throw new Error("the KubeConfig has no current cluster or user");
      const proxied = new KubeConfig();
      proxied.loadFromOptions({
        clusters: [{ ...cluster, name: "lagging", server: url }],
        users: [user],
        contexts: [{ name: "lagging", cluster: "lagging", user: user.name }],
        currentContext: "lagging",
      });
      return proxied;
    },
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
