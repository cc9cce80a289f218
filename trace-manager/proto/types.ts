/**
 * Plain-object shapes of the trimmed Envoy messages as @grpc/proto-loader produces them with
 * `ENVOY_PROTO_LOADER_OPTIONS` (snake_case keys, 64-bit integers and enums as strings, absent
 * fields `undefined`, a oneof's chosen field name in its own key). Every field is optional because
 * proto3 omits defaults on the wire and the loader adds none.
 */

/** `google.protobuf.Timestamp`. */
export interface Timestamp {
  seconds?: string;
  nanos?: number;
}

/** `google.protobuf.Duration`. */
export interface Duration {
  seconds?: string;
  nanos?: number;
}

/** `google.protobuf.UInt32Value`. */
export interface UInt32Value {
  value?: number;
}
/** `google.protobuf.BoolValue`. */
export interface BoolValue {
  value?: boolean;
}

/** `google.protobuf.Struct` as decoded (only its presence matters here). */
export interface Struct {
  fields?: Record<string, unknown>;
}

/** `envoy.config.core.v3.Node`. */
export interface Node {
  id?: string;
  cluster?: string;
  metadata?: Struct;
}

/** `envoy.config.core.v3.SocketAddress`. */
export interface SocketAddress {
  address?: string;
  port_value?: number;
  named_port?: string;
  port_specifier?: "port_value" | "named_port";
}
/** `envoy.config.core.v3.Address` (socket addresses only). */
export interface Address {
  socket_address?: SocketAddress;
  address?: "socket_address";
}

/** `envoy.config.core.v3.HeaderValue`. */
export interface HeaderValue {
  key?: string;
  value?: string;
}

/** `envoy.config.core.v3.HeaderValueOption.HeaderAppendAction`. */
export type HeaderAppendAction =
  "APPEND_IF_EXISTS_OR_ADD" | "ADD_IF_ABSENT" | "OVERWRITE_IF_EXISTS_OR_ADD" | "OVERWRITE_IF_EXISTS";

/** `envoy.config.core.v3.HeaderValueOption`. */
export interface HeaderValueOption {
  header?: HeaderValue;
  append?: BoolValue;
  append_action?: HeaderAppendAction;
  keep_empty_value?: boolean;
}

/** `envoy.service.auth.v3.AttributeContext.Peer`. */
export interface Peer {
  address?: Address;
  service?: string;
  labels?: Record<string, string>;
  principal?: string;
}

/** `envoy.service.auth.v3.AttributeContext.HttpRequest`. `id` is Envoy's stream id, not x-request-id. */
export interface HttpRequest {
  id?: string;
  method?: string;
  headers?: Record<string, string>;
  path?: string;
  host?: string;
  scheme?: string;
  size?: string;
  protocol?: string;
}

/** `envoy.service.auth.v3.AttributeContext.Request`. */
export interface AttributeRequest {
  time?: Timestamp;
  http?: HttpRequest;
}

/** `envoy.service.auth.v3.AttributeContext`. */
export interface AttributeContext {
  source?: Peer;
  destination?: Peer;
  request?: AttributeRequest;
  context_extensions?: Record<string, string>;
}

/** `envoy.service.auth.v3.CheckRequest`. */
export interface CheckRequest {
  attributes?: AttributeContext;
}

/** `google.rpc.Status`. */
export interface RpcStatus {
  code?: number;
  message?: string;
}

/** `envoy.service.auth.v3.OkHttpResponse`. */
export interface OkHttpResponse {
  headers?: HeaderValueOption[];
  headers_to_remove?: string[];
}

/** `envoy.service.auth.v3.DeniedHttpResponse` (never sent by Tranquil). */
export interface DeniedHttpResponse {
  headers?: HeaderValueOption[];
  body?: string;
}

/** `envoy.service.auth.v3.CheckResponse`. */
export interface CheckResponse {
  status?: RpcStatus;
  ok_response?: OkHttpResponse;
  denied_response?: DeniedHttpResponse;
  http_response?: "ok_response" | "denied_response";
}

/** `envoy.data.accesslog.v3.ResponseFlags` (trimmed to the flags the local mesh sets). */
export interface ResponseFlags {
  no_healthy_upstream?: boolean;
  upstream_request_timeout?: boolean;
  local_reset?: boolean;
  upstream_remote_reset?: boolean;
  upstream_connection_failure?: boolean;
  upstream_connection_termination?: boolean;
  upstream_overflow?: boolean;
  no_route_found?: boolean;
  delay_injected?: boolean;
  fault_injected?: boolean;
  upstream_retry_limit_exceeded?: boolean;
  no_cluster_found?: boolean;
  downstream_remote_reset?: boolean;
}

/** `envoy.data.accesslog.v3.AccessLogCommon` (trimmed). */
export interface AccessLogCommon {
  start_time?: Timestamp;
  time_to_last_rx_byte?: Duration;
  time_to_last_downstream_tx_byte?: Duration;
  upstream_cluster?: string;
  response_flags?: ResponseFlags;
  route_name?: string;
  duration?: Duration;
}

/** `envoy.data.accesslog.v3.HTTPRequestProperties`. `request_id` is x-request-id. */
export interface HTTPRequestProperties {
  request_method?: string;
  scheme?: string;
  authority?: string;
  port?: UInt32Value;
  path?: string;
  user_agent?: string;
  referer?: string;
  forwarded_for?: string;
  request_id?: string;
  original_path?: string;
  request_headers?: Record<string, string>;
}

/** `envoy.data.accesslog.v3.HTTPResponseProperties`. */
export interface HTTPResponseProperties {
  response_code?: UInt32Value;
  response_headers?: Record<string, string>;
  response_trailers?: Record<string, string>;
  response_code_details?: string;
}

/** `envoy.data.accesslog.v3.HTTPAccessLogEntry`. */
export interface HTTPAccessLogEntry {
  common_properties?: AccessLogCommon;
  protocol_version?: "PROTOCOL_UNSPECIFIED" | "HTTP10" | "HTTP11" | "HTTP2" | "HTTP3";
  request?: HTTPRequestProperties;
  response?: HTTPResponseProperties;
}

/** `envoy.service.accesslog.v3.StreamAccessLogsMessage` (HTTP entries only). */
export interface StreamAccessLogsMessage {
  identifier?: { node?: Node; log_name?: string };
  http_logs?: { log_entry?: HTTPAccessLogEntry[] };
  log_entries?: "http_logs";
}

/** `envoy.service.accesslog.v3.StreamAccessLogsResponse` (empty). */
export type StreamAccessLogsResponse = Record<string, never>;
