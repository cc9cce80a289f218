import { join } from "node:path";
import { Server, ServerCredentials, type ServerReadableStream, type sendUnaryData } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEnvoyProtos } from "../../../trace-manager/proto/load.js";
import type { HTTPAccessLogEntry, StreamAccessLogsMessage } from "../../../trace-manager/proto/types.js";
import { AlsClient } from "./als-client.js";
import { ProxyStats } from "./stats.js";
import { socketDir } from "./testing/trace-manager-fixture.js";

/** An ALS server that records messages per stream; `stall` stops reading (backpressure). */
async function startAlsServer(
  socketPath: string,
  stall: boolean,
): Promise<{ streams: StreamAccessLogsMessage[][]; close(): void }> {
  const streams: StreamAccessLogsMessage[][] = [];
  const server = new Server();
  server.addService(loadEnvoyProtos().AccessLogService.service, {
    StreamAccessLogs: (
      call: ServerReadableStream<StreamAccessLogsMessage, object>,
      cb: sendUnaryData<object>,
    ) => {
      const got: StreamAccessLogsMessage[] = [];
      streams.push(got);
      if (stall) {
        call.pause();
        return;
      }
      call.on("data", (m: StreamAccessLogsMessage) => got.push(m));
      call.on("end", () => cb(null, {}));
    },
  });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix:${socketPath}`, ServerCredentials.createInsecure(), (err) =>
      err !== null ? reject(err) : resolve(),
    ),
  );
  return { streams, close: () => server.forceShutdown() };
}

const entry = (i: number): HTTPAccessLogEntry => ({
  common_properties: { upstream_cluster: "inbound|8080||" },
  request: {
    request_id: `id-${i}`,
    path: "/x".padEnd(400, "x"),
    request_headers: { "x-request-id": `id-${i}` },
  },
  response: { response_code: { value: 200 } },
});

describe("ALS client", () => {
  let dir: { path: string; remove(): Promise<void> };
  beforeAll(async () => (dir = await socketDir()));
  afterAll(() => dir.remove());

  it("keeps one stream per worker, sends the identifier only first, flushes by size and by interval", async () => {
    const socket = join(dir.path, "als.sock");
    const server = await startAlsServer(socket, false);
    const stats = new ProxyStats();
    const als = new AlsClient(loadEnvoyProtos(), socket, stats, {
      node: { id: "sidecar~127.0.0.1~item-1.default~default.svc.cluster.local", cluster: "item.default" },
      logName: "envoy-als",
      workers: 2,
      flushIntervalMs: 100,
      flushBytes: 1_500,
    });
    // Worker 0 reaches the size limit after 3 entries (≈ 550 bytes each); worker 1 waits for the interval.
    for (let i = 0; i < 3; i++) als.log(0, entry(i));
    als.log(1, entry(100));
    expect(stats.get("access_logs.grpc_access_log.logs_written")).toBe(3);
    await new Promise((r) => setTimeout(r, 250));
    als.log(0, entry(3));
    await new Promise((r) => setTimeout(r, 250));
    await als.close();
    await new Promise((r) => setTimeout(r, 50));
    server.close();
    expect(stats.get("access_logs.grpc_access_log.logs_written")).toBe(5);
    expect(server.streams.length).toBe(2);
    const all = server.streams.flat();
    const withId = all.filter((m) => m.identifier !== undefined);
    expect(withId.length).toBe(2);
    expect(withId[0]?.identifier?.node?.id).toContain("item-1");
    for (const s of server.streams) {
      expect(s[0]?.identifier?.log_name).toBe("envoy-als");
      expect(s.slice(1).every((m) => m.identifier === undefined)).toBe(true);
    }
    expect(
      all
        .flatMap((m) => m.http_logs?.log_entry ?? [])
        .map((e) => e.request?.request_id)
        .sort(),
    ).toEqual(["id-0", "id-1", "id-100", "id-2", "id-3"]);
  });

  it("drops flushes under backpressure and counts them as logs_dropped", async () => {
    const socket = join(dir.path, "stalled.sock");
    const server = await startAlsServer(socket, true);
    const stats = new ProxyStats();
    const als = new AlsClient(loadEnvoyProtos(), socket, stats, {
      node: { id: "n", cluster: "c" },
      logName: "envoy-als",
      workers: 1,
      flushBytes: 1,
    });
    for (let i = 0; i < 600; i++) {
      als.log(0, entry(i));
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 10));
    }
    const written = stats.get("access_logs.grpc_access_log.logs_written");
    const dropped = stats.get("access_logs.grpc_access_log.logs_dropped");
    expect(dropped).toBeGreaterThan(0);
    expect(written + dropped).toBe(600);
    server.close();
    await als.close();
  });
});
