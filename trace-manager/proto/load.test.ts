import { describe, it, expect } from "vitest";
import { loadEnvoyProtos, ENVOY_METHOD_PATHS } from "./load.js";
import { loadFullEnvoyProtos } from "../testing/full-envoy-protos.js";
import { alsEntry, alsMessage, checkRequest } from "../testing/envoy-messages.js";
import type { CheckRequest, CheckResponse, StreamAccessLogsMessage } from "./types.js";

const trimmed = loadEnvoyProtos();
const full = loadFullEnvoyProtos();
const trimmedCheck = trimmed.Authorization.service["Check"]!;
const trimmedAls = trimmed.AccessLogService.service["StreamAccessLogs"]!;

describe("trimmed Envoy protos", () => {
  it("keep Envoy's method paths and streaming kinds", () => {
    expect(trimmedCheck.path).toBe(ENVOY_METHOD_PATHS.check);
    expect(full.check.path).toBe(ENVOY_METHOD_PATHS.check);
    expect(trimmedAls.path).toBe(ENVOY_METHOD_PATHS.streamAccessLogs);
    expect(full.streamAccessLogs.path).toBe(ENVOY_METHOD_PATHS.streamAccessLogs);
    expect(trimmedAls.requestStream).toBe(true);
    expect(trimmedAls.responseStream).toBe(false);
    expect(trimmedCheck.requestStream).toBe(false);
  });

  it("decode a CheckRequest encoded with the full tree", () => {
    const bytes = full.check.requestSerialize(
      checkRequest({
        requestId: "9609691a-4e9b-9545-ac71-3889bc2dffb0",
        traceId: "635187cb20d92f62377ba0cdc2334270",
      }),
    );
    const req = trimmedCheck.requestDeserialize(bytes) as CheckRequest;
    const http = req.attributes?.request?.http;
    expect(http?.id).toBe("13869142855783664817");
    expect(http?.method).toBe("GET");
    expect(http?.path).toBe("/headers");
    expect(http?.host).toBe("httpbin.foo:8000");
    expect(http?.protocol).toBe("HTTP/1.1");
    expect(http?.headers?.["x-request-id"]).toBe("9609691a-4e9b-9545-ac71-3889bc2dffb0");
    expect(http?.headers?.["x-b3-traceid"]).toBe("635187cb20d92f62377ba0cdc2334270");
    expect(req.attributes?.request?.time).toEqual({ seconds: "1610076306", nanos: 473835000 });
    expect(req.attributes?.source?.address?.socket_address).toMatchObject({
      address: "10.44.0.22",
      port_value: 52088,
    });
    expect(req.attributes?.destination?.principal).toBe("spiffe://cluster.local/ns/foo/sa/httpbin");
  });

  it("encode a CheckResponse the full tree decodes identically", () => {
    const res: CheckResponse = {
      status: { code: 0 },
      ok_response: {
        headers: [
          {
            header: { key: "x-tranquil-release", value: "up-1,up-2" },
            append_action: "OVERWRITE_IF_EXISTS_OR_ADD",
          },
        ],
        headers_to_remove: ["x-other"],
      },
    };
    const back = full.check.responseDeserialize(trimmedCheck.responseSerialize(res)) as CheckResponse;
    expect(back.http_response).toBe("ok_response");
    expect(back.ok_response?.headers).toEqual(res.ok_response?.headers);
    expect(back.ok_response?.headers_to_remove).toEqual(["x-other"]);
    expect(back.status?.code ?? 0).toBe(0);
    expect(back.denied_response).toBeUndefined();
  });

  it("decode an ALS message encoded with the full tree, and the reverse", () => {
    const start = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    const msg = alsMessage(
      [
        alsEntry({
          cluster: "inbound|8080||",
          requestId: "0ac1feff-84ae-4d3a-8b15-890da2b194c5",
          code: 200,
          grpcStatus: "0",
          durationMs: 12.5,
          startMs: start,
        }),
        alsEntry({ cluster: "outbound|80|v1|reviews.default.svc.cluster.local", code: 503 }),
      ],
      { id: "sidecar~10.44.2.55~reviews-v1-0.default~default.svc.cluster.local", cluster: "reviews.default" },
    );
    const decoded = trimmedAls.requestDeserialize(
      full.streamAccessLogs.requestSerialize(msg),
    ) as StreamAccessLogsMessage;
    expect(decoded.identifier?.log_name).toBe("als");
    expect(decoded.identifier?.node?.cluster).toBe("reviews.default");
    expect(decoded.log_entries).toBe("http_logs");
    const [inbound, outbound] = decoded.http_logs?.log_entry ?? [];
    expect(inbound?.common_properties?.upstream_cluster).toBe("inbound|8080||");
    expect(inbound?.common_properties?.start_time).toEqual({
      seconds: String(Math.floor(start / 1000)),
      nanos: 678e6,
    });
    expect(inbound?.common_properties?.duration).toEqual({ seconds: "0", nanos: 12_500_000 });
    expect(inbound?.request?.request_id).toBe("0ac1feff-84ae-4d3a-8b15-890da2b194c5");
    expect(inbound?.request?.request_method).toBe("POST");
    expect(inbound?.request?.request_headers).toEqual({
      "x-request-id": "0ac1feff-84ae-4d3a-8b15-890da2b194c5",
    });
    // Byte counters are not in the trimmed protos: skipped as unknown fields.
    expect(inbound?.request).not.toHaveProperty("request_headers_bytes");
    expect(inbound?.response?.response_code).toEqual({ value: 200 });
    expect(inbound?.response?.response_trailers).toEqual({ "grpc-status": "0" });
    expect(inbound?.protocol_version).toBe("HTTP2");
    expect(outbound?.common_properties?.upstream_cluster).toBe(
      "outbound|80|v1|reviews.default.svc.cluster.local",
    );
    expect(outbound?.response?.response_code?.value).toBe(503);

    // Reverse: what the local mesh's Envoy stand-in encodes with the trimmed tree, Envoy's decodes.
    const again = full.streamAccessLogs.requestDeserialize(trimmedAls.requestSerialize(decoded)) as Record<
      string,
      unknown
    >;
    const reencoded = trimmedAls.requestDeserialize(full.streamAccessLogs.requestSerialize(again));
    expect(reencoded).toEqual(decoded);
  });

  it("carry every response flag the local mesh sets with Envoy's field numbers", () => {
    const flags = {
      no_route_found: true,
      delay_injected: true,
      fault_injected: true,
      no_cluster_found: true,
      no_healthy_upstream: true,
      upstream_connection_failure: true,
      upstream_remote_reset: true,
      upstream_retry_limit_exceeded: true,
      upstream_request_timeout: true,
      downstream_remote_reset: true,
    };
    const msg: StreamAccessLogsMessage = {
      http_logs: {
        log_entry: [{ common_properties: { upstream_cluster: "inbound|8080||", response_flags: flags } }],
      },
    };
    const decoded = full.streamAccessLogs.requestDeserialize(trimmedAls.requestSerialize(msg)) as {
      http_logs: { log_entry: { common_properties: { response_flags: Record<string, unknown> } }[] };
    };
    const got = decoded.http_logs.log_entry[0]?.common_properties.response_flags ?? {};
    expect(Object.fromEntries(Object.entries(got).filter(([, v]) => v === true))).toEqual(flags);
  });

  it("skip TCP entries and unknown fields without failing", () => {
    const bytes = full.streamAccessLogs.requestSerialize({
      tcp_logs: { log_entry: [{ common_properties: { upstream_cluster: "outbound|6379||redis" } }] },
    });
    const decoded = trimmedAls.requestDeserialize(bytes) as StreamAccessLogsMessage;
    expect(decoded.http_logs).toBeUndefined();
  });

  it("a CheckRequest built with the trimmed tree decodes with the full tree", () => {
    const req: CheckRequest = {
      attributes: {
        request: {
          http: {
            id: "1",
            method: "POST",
            headers: { "x-request-id": "abc" },
            path: "/x",
            protocol: "HTTP/2",
          },
        },
      },
    };
    const back = full.check.requestDeserialize(trimmedCheck.requestSerialize(req));
    expect(back).toEqual(req);
  });
});
