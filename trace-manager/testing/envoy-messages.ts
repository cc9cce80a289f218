/**
 * Builders of Envoy-shaped messages (as plain objects for the FULL Envoy protos), modelled on the
 * captures in envoy-samples/ (Istio's ext-authz sample server log, SkyWalking ALS captures).
 */

/** Fields of a CheckRequest a test varies. */
export interface CheckShape {
  readonly requestId?: string;
  readonly traceId?: string;
  readonly extraHeaders?: Readonly<Record<string, string>>;
  readonly streamId?: string;
}

/** A CheckRequest as Istio's sidecar sends it (see istio.io_authz-custom_ext-authz-server.log). */
export function checkRequest(shape: CheckShape = {}): Record<string, unknown> {
  const headers: Record<string, string> = {
    ":authority": "httpbin.foo:8000",
    ":method": "GET",
    ":path": "/headers",
    accept: "*/*",
    "content-length": "0",
    "user-agent": "curl/7.74.0-DEV",
    "x-b3-sampled": "1",
    "x-b3-spanid": "377ba0cdc2334270",
    "x-envoy-attempt-count": "1",
    "x-forwarded-proto": "http",
    ...shape.extraHeaders,
  };
  if (shape.requestId !== undefined) headers["x-request-id"] = shape.requestId;
  if (shape.traceId !== undefined) headers["x-b3-traceid"] = shape.traceId;
  return {
    attributes: {
      source: {
        address: { socket_address: { address: "10.44.0.22", port_value: 52088 } },
        principal: "spiffe://cluster.local/ns/foo/sa/sleep",
      },
      destination: {
        address: { socket_address: { address: "10.44.3.30", port_value: 80 } },
        principal: "spiffe://cluster.local/ns/foo/sa/httpbin",
      },
      request: {
        time: { seconds: "1610076306", nanos: 473835000 },
        http: {
          id: shape.streamId ?? "13869142855783664817",
          method: "GET",
          headers,
          path: "/headers",
          host: "httpbin.foo:8000",
          protocol: "HTTP/1.1",
        },
      },
      metadata_context: {},
    },
  };
}

/** Fields of one ALS HTTP entry a test varies. */
export interface EntryShape {
  readonly cluster: string;
  readonly requestId?: string;
  readonly code?: number;
  readonly grpcStatus?: string;
  readonly durationMs?: number;
  readonly startMs?: number;
}

function duration(ms: number): { seconds: string; nanos: number } {
  return { seconds: String(Math.floor(ms / 1000)), nanos: Math.round((ms % 1000) * 1e6) };
}

/** One HTTPAccessLogEntry shaped like the SkyWalking mesh captures. */
export function alsEntry(shape: EntryShape): Record<string, unknown> {
  const startMs = shape.startMs ?? Date.now();
  const durationMs = shape.durationMs ?? 7;
  const request: Record<string, unknown> = {
    request_method: "POST",
    scheme: "http",
    authority: "details:9080",
    path: "/details.Details/Get",
    user_agent: "grpc-node-js/1.14",
    request_headers_bytes: "869",
  };
  if (shape.requestId !== undefined) {
    request["request_id"] = shape.requestId;
    request["request_headers"] = { "x-request-id": shape.requestId };
  }
  const response: Record<string, unknown> = { response_headers_bytes: "129", response_body_bytes: "178" };
  if (shape.code !== undefined) response["response_code"] = { value: shape.code };
  if (shape.grpcStatus !== undefined) response["response_trailers"] = { "grpc-status": shape.grpcStatus };
  return {
    common_properties: {
      downstream_remote_address: { socket_address: { address: "10.44.2.54", port_value: 58996 } },
      downstream_local_address: { socket_address: { address: "10.47.247.180", port_value: 9080 } },
      start_time: { seconds: String(Math.floor(startMs / 1000)), nanos: (startMs % 1000) * 1e6 },
      time_to_last_rx_byte: duration(0.08),
      time_to_last_downstream_tx_byte: duration(durationMs),
      upstream_remote_address: { socket_address: { address: "10.44.6.66", port_value: 9080 } },
      upstream_cluster: shape.cluster,
      duration: duration(durationMs),
    },
    protocol_version: "HTTP2",
    request,
    response,
  };
}

/** A StreamAccessLogsMessage; pass `node` only for a stream's first message, as Envoy does. */
export function alsMessage(
  entries: readonly Record<string, unknown>[],
  node?: { id: string; cluster: string },
): Record<string, unknown> {
  const msg: Record<string, unknown> = { http_logs: { log_entry: entries } };
  if (node !== undefined) {
    msg["identifier"] = {
      node: {
        ...node,
        metadata: { fields: { POD_NAME: { string_value: "reviews-v1-0" } } },
        user_agent_name: "envoy",
      },
      log_name: "als",
    };
  }
  return msg;
}
