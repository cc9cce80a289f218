/**
 * The webhook's HTTPS server: `POST /inject` answers AdmissionReviews, `GET /healthz` says it
 * serves, `GET /metrics` is its registry. A body that is not JSON still gets an allowing answer
 * (the handler counts it); only a body over the size limit is refused, with 413, which the API
 * server treats as a webhook failure and, with `failurePolicy: Ignore`, lets the pod through.
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { ReviewHandler } from "./review-handler.js";

/** The path the MutatingWebhookConfiguration calls. */
export const INJECT_PATH = "/inject";

/** Larger than any pod's AdmissionReview (the API server's own request limit is 3 MiB). */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** What the server needs. */
export interface WebhookServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly certPem: string;
  readonly keyPem: string;
  readonly handle: ReviewHandler;
  readonly registry: Registry;
  /** The largest body answered (default 8 MiB); a larger one gets 413. */
  readonly maxBodyBytes?: number;
}

/** A serving webhook. */
export interface WebhookServer {
  /** `https://<host>:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Serves a new certificate to new connections (a rotated Secret). */
  setCertificate(certPem: string, keyPem: string): void;
  /** Stops accepting, closes every connection and resolves once closed. */
  stop(): Promise<void>;
}

/** The body, or undefined when it is over `limit` (the rest is read and dropped, so the answer is sent). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.once("end", () => resolve(size <= limit ? Buffer.concat(chunks) : undefined));
    req.once("error", reject);
  });
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

async function route(
  options: WebhookServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method === "POST" && path === INJECT_PATH) {
    const body = await readBody(req, options.maxBodyBytes ?? MAX_BODY_BYTES);
    if (body === undefined) {
      res.writeHead(413).end();
      return;
    }
    const answer = JSON.stringify(options.handle(parseJson(body)));
    res.writeHead(200, { "content-type": "application/json" }).end(answer);
  } else if (req.method === "GET" && path === "/healthz") {
    res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
  } else if (req.method === "GET" && path === "/metrics") {
    const text = await options.registry.metrics();
    res.writeHead(200, { "content-type": options.registry.contentType }).end(text);
  } else {
    res.writeHead(404).end();
  }
}

/** Starts the server; resolves once it listens. */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const server: Server = createServer(
    { cert: options.certPem, key: options.keyPem, minVersion: "TLSv1.2" },
    (req, res) => {
      route(options, req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `https://${host}:${port}`,
    port,
    setCertificate: (cert, key) => server.setSecureContext({ cert, key, minVersion: "TLSv1.2" }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
