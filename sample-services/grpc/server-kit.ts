import { setTimeout as sleep } from "node:timers/promises";
import {
  Metadata,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { Activity } from "../activity.js";
import type { ServiceMetrics } from "../metrics.js";
import { GRPC_SERVICE_IDS, type GrpcServiceName } from "../names.js";
import { fromMetadata, type PropagatedHeaders } from "../propagation.js";
import { encodeServedBy, SERVED_BY_KEY, ServedBy, servedByEntry } from "../served-by.js";
import { Code, codeName, hasGrpcCode, ServiceError } from "./errors.js";
import { HealthService } from "./health.js";
import { healthDefinition, serviceDefinition } from "./protos.js";
import type { UpstreamPool } from "./upstreams.js";
import { echo, MESSAGE_MAX } from "../echo.js";

/** What a handler gets besides its request: the transaction's headers and a way to call upstreams. */
export interface HandlerContext {
  readonly headers: PropagatedHeaders;
  readonly servedBy: ServedBy;
  readonly log: Logger;
  /** Calls an upstream, forwarding this transaction's headers and recording its servedBy. */
  call<Res>(service: GrpcServiceName, method: string, request: object): Promise<Res>;
}

/** A unary handler. The request type is the handler's own; `never` lets any be registered. */
export type UnaryHandler = (request: never, ctx: HandlerContext) => Promise<object>;

/** Deliberate misbehaviour for a bad release. */
export interface Faults {
  /** Share (0..1) of application calls that fail with INTERNAL. */
  readonly errorRate?: number;
  /** Added to every application call. */
  readonly extraLatencyMs?: number;
}

/** Everything a gRPC sample service needs to run. */
export interface GrpcServiceOptions {
  readonly name: GrpcServiceName;
  readonly version: string;
  readonly host: string;
  readonly port: number;
  readonly handlers: Readonly<Record<string, UnaryHandler>>;
  readonly upstreams: UpstreamPool;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly activity: Activity;
  readonly enrolmentHeader: string;
  readonly faults?: Faults;
  readonly random?: () => number;
  /** How long `stop()` waits for in-flight calls before cancelling them (default 30 s). */
  readonly drainTimeoutMs?: number;
}

/** A started gRPC sample service. */
export interface StartedGrpcService {
  /** `"host:port"` */
  readonly address: string;
  readonly health: HealthService;
  stop(): Promise<void>;
}

/**
 * Starts a gRPC server for one sample service with grpc.health.v1, RED metrics, activity
 * tracking, fault injection and `x-served-by` response metadata (in the trailers always, and
 * also in the response headers on success).
 */
export async function startGrpcService(opts: GrpcServiceOptions): Promise<StartedGrpcService> {
  const self = servedByEntry(opts.name, opts.version);
  const definition = serviceDefinition(opts.name);
  const random = opts.random ?? Math.random;
  const health = new HealthService(GRPC_SERVICE_IDS[opts.name]);
  const implementation: UntypedServiceImplementation = {};

  for (const method of Object.keys(definition)) {
    const handler = opts.handlers[method] as
      ((req: unknown, ctx: HandlerContext) => Promise<object>) | undefined;
    if (handler === undefined) throw new Error(`${opts.name}: no handler for ${method}`);
    implementation[method] = (call: ServerUnaryCall<unknown, object>, callback: sendUnaryData<object>) => {
      const end = opts.activity.begin();
      const started = performance.now();
      const headers = fromMetadata(call.metadata, opts.enrolmentHeader);
      const servedBy = new ServedBy([self]);
      const log = opts.logger.child({ method, requestId: headers["x-request-id"] });
      const ctx: HandlerContext = {
        headers,
        servedBy,
        log,
        call: (service, m, request) => opts.upstreams.call(service, m, request, headers, servedBy),
      };
      const finish = (code: number): void => {
        end();
        opts.metrics.observe(method, codeName(code), (performance.now() - started) / 1000);
      };
      const run = async (): Promise<object> => {
        if ((opts.faults?.extraLatencyMs ?? 0) > 0) await sleep(opts.faults?.extraLatencyMs);
        if ((opts.faults?.errorRate ?? 0) > 0 && random() < (opts.faults?.errorRate ?? 0)) {
          throw new ServiceError(
            Code.INTERNAL,
            `${self}: injected fault (errorRate ${opts.faults?.errorRate})`,
          );
        }
        return handler(call.request, ctx);
      };
      run().then(
        (reply) => {
          const md = trailer(servedBy);
          call.sendMetadata(trailer(servedBy));
          callback(null, reply, md);
          finish(Code.OK);
        },
        (err: unknown) => {
          const code = hasGrpcCode(err) ? err.code : Code.INTERNAL;
          if (err instanceof ServiceError) servedBy.add(err.servedBy);
          // Bounded whatever built it: the message goes into the grpc-message trailer.
          const message = echo(err instanceof Error ? err.message : String(err), MESSAGE_MAX);
          if (code === Code.INTERNAL || code === Code.UNKNOWN) log.error({ err }, "call failed");
          else log.debug({ code: codeName(code), message }, "call refused");
          callback({ code, details: message, metadata: trailer(servedBy) });
          finish(code);
        },
      );
    };
  }

  const server = new Server();
  server.addService(definition, implementation);
  server.addService(healthDefinition(), health.implementation());
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${opts.host}:${opts.port}`, ServerCredentials.createInsecure(), (err, bound) =>
      err
        ? reject(new Error(`${self}: could not listen on ${opts.host}:${opts.port}`, { cause: err }))
        : resolve(bound),
    );
  });
  opts.logger.info({ address: `${opts.host}:${port}` }, "gRPC service listening");

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      health.set("NOT_SERVING");
      health.endWatches();
      const drained = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      const timer = new AbortController();
      const timeout = sleep(opts.drainTimeoutMs ?? 30_000, "timeout" as const, {
        signal: timer.signal,
      }).catch(() => "drained" as const);
      const outcome = await Promise.race([drained.then(() => "drained" as const), timeout]);
      timer.abort();
      if (outcome === "timeout") {
        opts.logger.warn(
          { inFlight: opts.activity.inFlight() },
          "drain timed out; cancelling remaining calls",
        );
        server.forceShutdown();
      }
      opts.upstreams.close();
      opts.logger.info("gRPC service stopped");
    })();
    return stopping;
  };
  return { address: `${opts.host}:${port}`, health, stop };
}

function trailer(servedBy: ServedBy): Metadata {
  const md = new Metadata();
  md.set(SERVED_BY_KEY, encodeServedBy(servedBy.list()));
  return md;
}
