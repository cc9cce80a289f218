import type http from "node:http";
import type http2 from "node:http2";

/** Envoy's response flags this mesh produces. */
export const ResponseFlag = {
  noRoute: "NR",
  noCluster: "NC",
  noHealthyUpstream: "UH",
  upstreamConnectionFailure: "UF",
  upstreamRemoteReset: "UR",
  retryLimitExceeded: "URX",
  upstreamRequestTimeout: "UT",
  downstreamRemoteReset: "DR",
  /** The fault filter aborted the request. */
  faultInjected: "FI",
  /** The fault filter delayed the request. */
  delayInjected: "DI",
} as const;
/** One Envoy response flag. */
export type ResponseFlagName = (typeof ResponseFlag)[keyof typeof ResponseFlag];

/** Envoy's local reply bodies (router.cc / upstream_request.cc wording). */
export const LocalReplyBody = {
  NR: "",
  NC: "",
  UH: "no healthy upstream",
  UF: "upstream connect error or disconnect/reset before headers. reset reason: connection failure",
  UR: "upstream connect error or disconnect/reset before headers. reset reason: remote reset",
  UT: "upstream request timeout",
} as const;

/** gRPC status for an HTTP status, as Envoy's `Grpc::Utility::httpToGrpcStatus`. */
export function httpToGrpcStatus(status: number): number {
  switch (status) {
    case 400:
      return 13;
    case 401:
      return 16;
    case 403:
      return 7;
    case 404:
      return 12;
    case 429:
    case 502:
    case 503:
    case 504:
      return 14;
    default:
      return 2;
  }
}

/** True for a gRPC request (content-type `application/grpc…`). */
export function isGrpc(contentType: string | string[] | undefined): boolean {
  return typeof contentType === "string" && contentType.startsWith("application/grpc");
}

/**
 * Sends a local reply on an HTTP/2 stream. A gRPC request gets a trailers-only reply
 * (`:status 200`, `grpc-status`), as Envoy converts local replies for gRPC callers: the given
 * `grpcStatus`, else the one mapped from the HTTP status.
 */
export function localReplyH2(
  stream: http2.ServerHttp2Stream,
  grpc: boolean,
  status: number,
  body: string,
  grpcStatus?: number,
): void {
  if (stream.destroyed || stream.headersSent) return;
  if (grpc) {
    stream.respond(
      {
        ":status": 200,
        "content-type": "application/grpc",
        "grpc-status": String(grpcStatus ?? httpToGrpcStatus(status)),
        "grpc-message": encodeURIComponent(body === "" ? `HTTP ${status}` : body),
        server: "envoy",
      },
      { endStream: true },
    );
    return;
  }
  stream.respond({
    ":status": status,
    "content-type": "text/plain",
    "content-length": Buffer.byteLength(body),
    server: "envoy",
  });
  stream.end(body);
}

/** Sends a local reply on an HTTP/1.1 response. */
export function localReplyH1(res: http.ServerResponse, status: number, body: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    "content-type": "text/plain",
    "content-length": Buffer.byteLength(body),
    server: "envoy",
  });
  res.end(body);
}
