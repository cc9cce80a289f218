import type { HTTPAccessLogEntry } from "../../../trace-manager/proto/types.js";
import { headerValue, type HeaderBag } from "./header-edits.js";
import type { WorkloadIdentity } from "./istio-metrics.js";
import type { ResponseFlagName } from "./local-reply.js";

/** `envoy.data.accesslog.v3.ResponseFlags` field for each flag this mesh sets. */
const FLAG_FIELDS: Readonly<Record<ResponseFlagName, string>> = {
  NR: "no_route_found",
  NC: "no_cluster_found",
  UH: "no_healthy_upstream",
  UF: "upstream_connection_failure",
  UR: "upstream_remote_reset",
  URX: "upstream_retry_limit_exceeded",
  UT: "upstream_request_timeout",
  DR: "downstream_remote_reset",
  FI: "fault_injected",
  DI: "delay_injected",
};

/** The request as the access log sees it (after the filters, before the router). */
export interface LoggedRequest {
  readonly protocol: "HTTP/1.1" | "HTTP/2";
  readonly method: string;
  readonly scheme: string;
  readonly authority: string;
  readonly path: string;
  readonly headers: HeaderBag;
}

/** What happened to the request. */
export interface LoggedOutcome {
  readonly startMs: number;
  readonly endMs: number;
  /** `inbound|<port>||` or `outbound|<port>|<subset>|<fqdn>`; absent without a cluster. */
  readonly upstreamCluster?: string;
  readonly upstreamHost?: string;
  readonly status: number;
  readonly flags: readonly ResponseFlagName[];
  readonly routeName?: string;
  /** Epoch of the routing snapshot the request was routed by (for the proxy's own log only). */
  readonly configEpoch?: number;
  readonly grpcStatus?: { readonly value: string; readonly in: "headers" | "trailers" };
  /** The other workload, for Istio's metrics: the caller (inbound) or the chosen endpoint (outbound). */
  readonly peer?: WorkloadIdentity;
}

function timestamp(ms: number): { seconds: string; nanos: number } {
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

function duration(ms: number): { seconds: string; nanos: number } {
  const whole = Math.floor(ms / 1000);
  return { seconds: String(whole), nanos: Math.round((ms - whole * 1000) * 1_000_000) };
}

/**
 * Builds Envoy's `HTTPAccessLogEntry` for one request: `request_id` is x-request-id,
 * `request_headers` holds the configured `additionalRequestHeadersToLog`, `response_code` is a
 * `UInt32Value`, and response flags are set only when true (proto3 leaves defaults out).
 */
export function buildAccessLogEntry(
  req: LoggedRequest,
  out: LoggedOutcome,
  headersToLog: readonly string[],
): HTTPAccessLogEntry {
  const requestHeaders: Record<string, string> = {};
  for (const name of headersToLog) {
    const v = headerValue(req.headers, name);
    if (v !== undefined) requestHeaders[name.toLowerCase()] = v;
  }
  const flags: Record<string, boolean> = {};
  for (const f of out.flags) flags[FLAG_FIELDS[f]] = true;
  const requestId = headerValue(req.headers, "x-request-id");
  const userAgent = headerValue(req.headers, "user-agent");
  const [upIp, upPort] = out.upstreamHost?.split(":") ?? [];
  return {
    common_properties: {
      start_time: timestamp(out.startMs),
      time_to_last_downstream_tx_byte: duration(out.endMs - out.startMs),
      ...(out.upstreamCluster !== undefined ? { upstream_cluster: out.upstreamCluster } : {}),
      ...(out.flags.length > 0 ? { response_flags: flags } : {}),
      ...(out.routeName !== undefined && out.routeName !== "" ? { route_name: out.routeName } : {}),
      ...(upIp !== undefined && upPort !== undefined
        ? { upstream_remote_address: { socket_address: { address: upIp, port_value: Number(upPort) } } }
        : {}),
    },
    protocol_version: req.protocol === "HTTP/2" ? "HTTP2" : "HTTP11",
    request: {
      request_method: req.method,
      scheme: req.scheme,
      authority: req.authority,
      path: req.path,
      ...(requestId !== undefined ? { request_id: requestId } : {}),
      ...(userAgent !== undefined ? { user_agent: userAgent } : {}),
      request_headers: requestHeaders,
    },
    response: {
      ...(out.status > 0 ? { response_code: { value: out.status } } : {}),
      ...(out.grpcStatus?.in === "headers"
        ? { response_headers: { "grpc-status": out.grpcStatus.value } }
        : {}),
      ...(out.grpcStatus?.in === "trailers"
        ? { response_trailers: { "grpc-status": out.grpcStatus.value } }
        : {}),
    },
  };
}
