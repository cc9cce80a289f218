import {
  Server,
  ServerCredentials,
  type MethodDefinition,
  type ServiceDefinition,
  type sendUnaryData,
  type ServerReadableStream,
  type ServerUnaryCall,
} from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { CheckResponse, StreamAccessLogsMessage } from "../proto/types.js";
import {
  checkHeadersDecoder,
  headerPath,
  type CheckHeaders,
  type HeaderLimits,
} from "../check/check-headers.js";
import { loadEnvoyProtos } from "../proto/load.js";
import type { AlsCall, MalformedMessage } from "../als/als-stream.js";
import { isMalformed } from "../als/als-stream.js";
import type { TraceManagerMetrics } from "../metrics.js";
import { prepareSocketPath, restrictSocket } from "./socket-file.js";

const MALFORMED: MalformedMessage = Object.freeze({ __malformed: true });

/**
 * Wraps each method's deserializer (or the replacement given for it) so bad bytes reach the handler
 * as a marker instead of failing the call.
 */
function lenient(
  def: ServiceDefinition,
  replace: Record<string, (bytes: Buffer) => unknown> = {},
): ServiceDefinition {
  const out: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(def)) {
    const deserialize: (bytes: Buffer) => unknown = replace[name] ?? method.requestDeserialize;
    out[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return deserialize(bytes);
        } catch {
          return MALFORMED;
        }
      },
    };
  }
  return out;
}

/** The handlers the server dispatches to. */
export interface EnvoyHandlers {
  /** Answers a Check, given what its request carried; must not reject (the server still answers OK if it does). */
  readonly check: (req: CheckHeaders) => Promise<CheckResponse>;
  /** Bounds on a Check's header map, applied while its bytes are read. */
  readonly headerLimits: HeaderLimits;
  /** The reply for a Check whose bytes did not decode. */
  readonly checkFallback: CheckResponse;
  readonly accessLogs: (
    call: AlsCall,
    reply: (err: Error | null, res?: Record<string, never>) => void,
  ) => void;
}

/** A started gRPC server on a Unix socket. */
export interface EnvoyGrpcServer {
  readonly server: Server;
  readonly socketPath: string;
  /** Stops accepting, waits up to `graceMs` for calls in progress, then cuts the rest. */
  shutdown(graceMs: number): Promise<void>;
}

/**
 * Serves Envoy's Authorization/Check and AccessLogService/StreamAccessLogs on a Unix socket
 * (stale socket replaced, mode 0660). Every Check is answered OK; malformed input is counted.
 */
export async function startEnvoyGrpcServer(
  socketPath: string,
  handlers: EnvoyHandlers,
  metrics: TraceManagerMetrics,
  log: Logger,
): Promise<EnvoyGrpcServer> {
  const protos = loadEnvoyProtos();
  const server = new Server({
    // Envoy keeps its connections; let idle ones live, but bound what one message may cost.
    "grpc.max_receive_message_length": 4 * 1024 * 1024,
    "grpc.max_concurrent_streams": 4096,
  });
  // Check reads only the header map's two ids (check-headers.ts), not the whole request.
  const readCheck = checkHeadersDecoder(headerPath(protos.packageDefinition), handlers.headerLimits);
  server.addService(lenient(protos.Authorization.service, { Check: readCheck }), {
    Check: (
      call: ServerUnaryCall<CheckHeaders | MalformedMessage, CheckResponse>,
      callback: sendUnaryData<CheckResponse>,
    ) => {
      const req = call.request;
      if (isMalformed(req)) {
        metrics.ignored.inc({ reason: "malformed_message" });
        callback(null, handlers.checkFallback);
        return;
      }
      // A start time rather than startTimer(): no closure per Check.
      const t0 = performance.now();
      handlers.check(req).then(
        (res) => {
          metrics.checkSeconds.observe((performance.now() - t0) / 1000);
          callback(null, res);
        },
        (err: unknown) => {
          metrics.checkSeconds.observe((performance.now() - t0) / 1000);
          log.error({ err }, "Check handler failed; answering OK (fail open)");
          callback(null, handlers.checkFallback);
        },
      );
    },
  });
  server.addService(lenient(protos.AccessLogService.service), {
    StreamAccessLogs: (
      call: ServerReadableStream<StreamAccessLogsMessage | MalformedMessage, Record<string, never>>,
      callback: sendUnaryData<Record<string, never>>,
    ) => {
      handlers.accessLogs(call, (err, res) => callback(err, res));
    },
  });
  await prepareSocketPath(socketPath);
  await new Promise<void>((resolve, reject) => {
    server.bindAsync(`unix:${socketPath}`, ServerCredentials.createInsecure(), (err) => {
      if (err)
        reject(new Error(`cannot bind the TraceManager gRPC server to unix:${socketPath}`, { cause: err }));
      else resolve();
    });
  });
  await restrictSocket(socketPath);
  return {
    server,
    socketPath,
    shutdown: (graceMs) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
