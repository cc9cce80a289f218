import { credentials, type Client, type ClientWritableStream, type ServiceError } from "@grpc/grpc-js";
import type { EnvoyProtos } from "../../../trace-manager/proto/load.js";
import type { HTTPAccessLogEntry, StreamAccessLogsMessage } from "../../../trace-manager/proto/types.js";
import { StatNames, type ProxyStats } from "./stats.js";

/** Envoy's gRPC access log defaults (`buffer_flush_interval` 1 s, `buffer_size_bytes` 16 KiB). */
export const AlsDefaults = { workers: 2, flushIntervalMs: 1_000, flushBytes: 16 * 1024 } as const;

/** Options of one proxy's access logger. */
export interface AlsOptions {
  /** Envoy node id (`sidecar~<ip>~<pod>.<ns>~<ns>.svc.cluster.local`) and cluster (`<svc>.<ns>`). */
  readonly node: { readonly id: string; readonly cluster: string };
  readonly logName: string;
  /** Worker threads, each with its own buffer and stream (default 2). */
  readonly workers?: number;
  readonly flushIntervalMs?: number;
  readonly flushBytes?: number;
}

interface AccessLogClient extends Client {
  StreamAccessLogs(cb: (err: ServiceError | null) => void): ClientWritableStream<StreamAccessLogsMessage>;
}

interface Worker {
  entries: HTTPAccessLogEntry[];
  bytes: number;
  stream: ClientWritableStream<StreamAccessLogsMessage> | undefined;
}

/**
 * Envoy's gRPC access logger (`envoy.access_loggers.http_grpc`): per worker a buffer and one
 * client stream of `StreamAccessLogs`, the identifier only in a stream's first message, flushed
 * by interval and by size. A flush into a stream above its write watermark is dropped and counted
 * as `logs_dropped`; sent entries count as `logs_written`.
 */
export class AlsClient {
  private readonly client: AccessLogClient;
  private readonly workers: Worker[];
  private readonly timer: NodeJS.Timeout;
  private readonly flushBytes: number;
  private closed = false;

  constructor(
    protos: EnvoyProtos,
    socketPath: string,
    private readonly stats: ProxyStats,
    private readonly options: AlsOptions,
  ) {
    this.client = new protos.AccessLogService(`unix:${socketPath}`, credentials.createInsecure(), {
      "grpc.max_reconnect_backoff_ms": 1_000,
    }) as unknown as AccessLogClient;
    const n = Math.max(1, options.workers ?? AlsDefaults.workers);
    this.workers = Array.from({ length: n }, () => ({ entries: [], bytes: 0, stream: undefined }));
    this.flushBytes = options.flushBytes ?? AlsDefaults.flushBytes;
    this.timer = setInterval(() => this.flushAll(), options.flushIntervalMs ?? AlsDefaults.flushIntervalMs);
    this.timer.unref();
    stats.declare(StatNames.logsWritten);
    stats.declare(StatNames.logsDropped);
  }

  /** Number of workers (buffers). */
  get workerCount(): number {
    return this.workers.length;
  }

  /** Buffers one entry on a worker; flushes that worker when its buffer reaches the size limit. */
  log(worker: number, entry: HTTPAccessLogEntry): void {
    if (this.closed) {
      this.stats.inc(StatNames.logsDropped);
      return;
    }
    const w = this.workers[worker % this.workers.length];
    if (w === undefined) return;
    w.entries.push(entry);
    // The serialized size is close to the JSON size; Envoy compares the encoded byte size.
    w.bytes += JSON.stringify(entry).length;
    if (w.bytes >= this.flushBytes) this.flush(w);
  }

  /** Flushes every worker's buffer now. */
  flushAll(): void {
    for (const w of this.workers) this.flush(w);
  }

  /** Flushes, ends the streams and closes the channel. */
  async close(): Promise<void> {
    this.flushAll();
    this.closed = true;
    clearInterval(this.timer);
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            const s = w.stream;
            w.stream = undefined;
            if (s === undefined) return resolve();
            const t = setTimeout(resolve, 500);
            s.once("finish", () => {
              clearTimeout(t);
              resolve();
            });
            s.end();
          }),
      ),
    );
    this.client.close();
  }

  private flush(w: Worker): void {
    if (w.entries.length === 0) return;
    const entries = w.entries;
    w.entries = [];
    w.bytes = 0;
    let first = false;
    if (w.stream === undefined) {
      first = true;
      const stream = this.client.StreamAccessLogs(() => {
        // The stream ended (TraceManager gone or restarted): the next flush opens a new one.
        if (w.stream === stream) w.stream = undefined;
      });
      stream.on("error", () => {
        if (w.stream === stream) w.stream = undefined;
      });
      w.stream = stream;
    }
    const stream = w.stream;
    if (stream.writableNeedDrain) {
      // Backpressure: Envoy drops the flush rather than buffer without bound.
      this.stats.inc(StatNames.logsDropped, entries.length);
      return;
    }
    const message: StreamAccessLogsMessage = {
      ...(first ? { identifier: { node: { ...this.options.node }, log_name: this.options.logName } } : {}),
      http_logs: { log_entry: entries },
    };
    stream.write(message);
    this.stats.inc(StatNames.logsWritten, entries.length);
  }
}
