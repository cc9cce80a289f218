import {
  Client,
  credentials,
  type Metadata,
  type ServiceError as GrpcError,
  type StatusObject,
} from "@grpc/grpc-js";
import type { GrpcServiceName, ServiceName } from "../names.js";
import { toMetadata, type PropagatedHeaders } from "../propagation.js";
import { servedByFromMetadata, type ServedBy } from "../served-by.js";
import { Code, codeName, ServiceError } from "./errors.js";
import { serviceDefinition } from "./protos.js";

/** Where each upstream is dialed. */
export interface UpstreamConfig {
  /** `"host:port"` per upstream service: a direct address or a sidecar's outbound listener. */
  readonly upstreams: Partial<Record<ServiceName, string>>;
  /**
   * Per-method overrides, keyed `"<service>/<Method>"` (e.g. `"auth-service/VerifyChallenge"`).
   * A test seam: it lets one transaction's calls to one service reach two instances.
   */
  readonly methodUpstreams?: Readonly<Record<string, string>>;
  /** Deadline of each upstream call (default 60 s, above the slowest sample transaction). */
  readonly callTimeoutMs?: number;
}

/**
 * gRPC clients of one service instance to its upstreams. Each channel's `:authority` is the
 * upstream's service name (`grpc.default_authority`), because a sidecar listening at that
 * address routes by authority, as Envoy does. Every call forwards the transaction's headers
 * and records the versions the upstream reports in its `x-served-by` metadata.
 */
export class UpstreamPool {
  readonly #clients = new Map<string, Client>();

  constructor(private readonly config: UpstreamConfig) {}

  /** Calls `service`'s unary `method`; throws ServiceError with the upstream's status on failure. */
  call<Res>(
    service: GrpcServiceName,
    method: string,
    request: object,
    headers: PropagatedHeaders,
    servedBy: ServedBy,
  ): Promise<Res> {
    const def = serviceDefinition(service)[method];
    if (def === undefined) throw new Error(`${service} has no method ${method}`);
    const address = this.config.methodUpstreams?.[`${service}/${method}`] ?? this.config.upstreams[service];
    if (address === undefined || address === "") {
      return Promise.reject(
        new ServiceError(
          Code.UNAVAILABLE,
          `no address configured for upstream ${service} (set UPSTREAM_${envName(service)})`,
        ),
      );
    }
    const client = this.#client(service, address);
    const deadline = Date.now() + (this.config.callTimeoutMs ?? 60_000);
    return new Promise<Res>((resolve, reject) => {
      let reply: { err: GrpcError | null; value: Res | undefined } | undefined;
      let trailers: Metadata | undefined;
      const settle = (): void => {
        if (reply === undefined || trailers === undefined) return;
        servedBy.add(servedByFromMetadata(trailers));
        if (reply.err === null) {
          resolve(reply.value as Res);
          return;
        }
        reject(upstreamError(service, method, address, reply.err, servedByFromMetadata(trailers).length > 0));
      };
      const call = client.makeUnaryRequest<object, Res>(
        def.path,
        def.requestSerialize as (value: object) => Buffer,
        def.responseDeserialize as (bytes: Buffer) => Res,
        request,
        toMetadata(headers),
        { deadline },
        (err, value) => {
          reply = { err, value };
          settle();
        },
      );
      call.on("metadata", (md: Metadata) => servedBy.add(servedByFromMetadata(md)));
      call.on("status", (s: StatusObject) => {
        trailers = s.metadata;
        settle();
      });
    });
  }

  /** Closes every channel. */
  close(): void {
    for (const c of this.#clients.values()) c.close();
    this.#clients.clear();
  }

  #client(service: GrpcServiceName, address: string): Client {
    const key = `${service}|${address}`;
    let client = this.#clients.get(key);
    if (client === undefined) {
      client = new Client(address, credentials.createInsecure(), { "grpc.default_authority": service });
      this.#clients.set(key, client);
    }
    return client;
  }
}

/** `order-service` → `ORDER_SERVICE`. */
export function envName(service: string): string {
  return service.toUpperCase().replace(/-/g, "_");
}

function upstreamError(
  service: string,
  method: string,
  address: string,
  err: GrpcError,
  fromApplication: boolean,
): ServiceError {
  // An application error already says what failed and why; pass it through unchanged so the
  // caller's status and message stay right (e.g. NOT_FOUND for an unknown item). A transport
  // error says nothing about which hop failed, so name it.
  const message = fromApplication
    ? err.details
    : `${service}.${method} at ${address} failed with ${codeName(err.code)}: ${err.details}`;
  return new ServiceError(err.code, message, { cause: err, servedBy: servedByFromMetadata(err.metadata) });
}
