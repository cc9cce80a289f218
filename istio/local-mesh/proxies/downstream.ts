import type http from "node:http";
import type http2 from "node:http2";
import { forwardHttp1 } from "./forward-h1.js";
import { forwardHttp2 } from "./forward-h2.js";
import type { ForwardOutcome, ForwardPlan } from "./forward-plan.js";
import type { HeaderBag } from "./header-edits.js";
import { isGrpc, localReplyH1, localReplyH2 } from "./local-reply.js";

/**
 * One downstream request, whatever its protocol: the filter chain works on this, and the
 * request leaves on the protocol it arrived on.
 */
export interface Downstream {
  readonly protocol: "HTTP/1.1" | "HTTP/2";
  readonly method: string;
  /** Path with query; may be rewritten before forwarding. */
  path: string;
  /** `:authority` or Host. */
  authority: string;
  readonly scheme: string;
  /** Request headers without pseudo-headers, lower-case names; filters mutate them. */
  readonly headers: HeaderBag;
  readonly grpc: boolean;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /**
   * Sends a local reply. gRPC callers get a trailers-only reply with `grpcStatus`, else the gRPC
   * status mapped from `status`.
   */
  localReply(status: number, body: string, headers?: HeaderBag, grpcStatus?: number): void;
  /** Forwards with the current path, authority and headers. */
  forward(plan: ForwardPlan): Promise<ForwardOutcome>;
  /** Resolves when the downstream side is closed. */
  readonly closed: Promise<void>;
}

/** Wraps an HTTP/2 stream. */
export function fromHttp2(stream: http2.ServerHttp2Stream, raw: http2.IncomingHttpHeaders): Downstream {
  const headers: HeaderBag = {};
  for (const [k, v] of Object.entries(raw)) if (!k.startsWith(":") && v !== undefined) headers[k] = v;
  const socket = stream.session?.socket;
  const closed = new Promise<void>((resolve) => stream.once("close", () => resolve()));
  const d: Downstream = {
    protocol: "HTTP/2",
    method: raw[":method"] ?? "GET",
    path: raw[":path"] ?? "/",
    authority: raw[":authority"] ?? raw.host ?? "",
    scheme: raw[":scheme"] ?? "http",
    headers,
    grpc: isGrpc(raw["content-type"]),
    remoteAddress: socket?.remoteAddress ?? "127.0.0.1",
    remotePort: socket?.remotePort ?? 0,
    localReply: (status, body, extra, grpcStatus) => {
      if (extra !== undefined && !d.grpc && !stream.headersSent && !stream.destroyed) {
        stream.respond({ ":status": status, "content-type": "text/plain", server: "envoy", ...extra });
        stream.end(body);
        return;
      }
      localReplyH2(stream, d.grpc, status, body, grpcStatus);
    },
    forward: (plan) =>
      forwardHttp2(
        stream,
        {
          ":method": d.method,
          ":path": d.path,
          ":authority": d.authority,
          ":scheme": d.scheme,
          ...d.headers,
        },
        plan,
        d.grpc,
      ),
    closed,
  };
  return d;
}

/** Wraps an HTTP/1.1 exchange. */
export function fromHttp1(req: http.IncomingMessage, res: http.ServerResponse): Downstream {
  const headers: HeaderBag = { ...req.headers };
  Reflect.deleteProperty(headers, "host");
  const closed = new Promise<void>((resolve) => res.once("close", () => resolve()));
  const d: Downstream = {
    protocol: "HTTP/1.1",
    method: req.method ?? "GET",
    path: req.url ?? "/",
    authority: req.headers.host ?? "",
    scheme: "http",
    headers,
    grpc: false,
    remoteAddress: req.socket.remoteAddress ?? "127.0.0.1",
    remotePort: req.socket.remotePort ?? 0,
    localReply: (status, body, extra) => {
      if (extra !== undefined && !res.headersSent) {
        res.writeHead(status, {
          "content-type": "text/plain",
          server: "envoy",
          ...extra,
        } as http.OutgoingHttpHeaders);
        res.end(body);
        return;
      }
      localReplyH1(res, status, body);
    },
    forward: (plan) => {
      req.url = d.path;
      return forwardHttp1(req, res, { ...d.headers, host: d.authority }, plan);
    },
    closed,
  };
  return d;
}
