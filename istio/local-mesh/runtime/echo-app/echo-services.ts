import http from "node:http";
import type net from "node:net";
import { fileURLToPath } from "node:url";
import {
  Metadata,
  Server,
  ServerCredentials,
  credentials,
  loadPackageDefinition,
  status,
  type Client,
  type ServerDuplexStream,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceClientConstructor,
  type ServiceError,
  type sendUnaryData,
} from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";

/** Request of the test echo service. */
export interface EchoRequest {
  text?: string;
  fail_code?: number;
  count?: number;
  forward?: boolean;
  delay_ms?: number;
}
/** Reply of the test echo service. */
export interface EchoReply {
  text?: string;
  served_by?: string[];
  metadata?: Record<string, string>;
}

/** Headers a well-behaved mesh app propagates (Istio asks apps to forward these). */
export const PROPAGATED = [
  "x-request-id",
  "x-b3-traceid",
  "x-b3-spanid",
  "x-b3-sampled",
  "traceparent",
  "x-tranquil-release",
] as const;

const PROTO = fileURLToPath(new URL("./echo.proto", import.meta.url));
let ctor: ServiceClientConstructor | undefined;

/** The Echo client constructor (loaded once). */
export function echoClientCtor(): ServiceClientConstructor {
  if (ctor !== undefined) return ctor;
  const def = loadSync(PROTO, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const pkg = loadPackageDefinition(def) as unknown as {
    tranquil: { meshtest: { v1: { Echo: ServiceClientConstructor } } };
  };
  ctor = pkg.tranquil.meshtest.v1.Echo;
  return ctor;
}

/** A typed Echo client. */
export interface EchoClient extends Client {
  Say(req: EchoRequest, md: Metadata, cb: (err: ServiceError | null, res?: EchoReply) => void): unknown;
  Stream(
    req: EchoRequest,
    md: Metadata,
  ): NodeJS.ReadableStream & {
    on(e: "status", fn: (s: { metadata: Metadata; code: number }) => void): unknown;
    on(e: "metadata", fn: (m: Metadata) => void): unknown;
    on(e: "data", fn: (r: EchoReply) => void): unknown;
    on(e: "error", fn: (e: ServiceError) => void): unknown;
    on(e: "end", fn: () => void): unknown;
  };
  Collect(
    md: Metadata,
    cb: (err: ServiceError | null, res?: EchoReply) => void,
  ): NodeJS.WritableStream & { write(r: EchoRequest): boolean; end(): void };
  Chat(md: Metadata): NodeJS.ReadWriteStream & {
    write(r: EchoRequest): boolean;
    end(): void;
    on(e: string, fn: (x: never) => void): unknown;
  };
}

/** Dials `address` with `:authority` set to `authority` (a sidecar outbound routes on it). */
export function echoClient(address: string, authority?: string): EchoClient {
  const C = echoClientCtor();
  return new C(
    address,
    credentials.createInsecure(),
    authority !== undefined ? { "grpc.default_authority": authority } : {},
  ) as unknown as EchoClient;
}

/** Ends a streaming call's activity once, whether it finished or was cancelled. */
function endOnce(call: NodeJS.EventEmitter, activity: Activity): void {
  let ended = false;
  const end = (): void => {
    if (!ended) activity.end();
    ended = true;
  };
  call.once("finish", end);
  call.once("cancelled", end);
}

/** A requested failure code as a gRPC status (unknown numbers become UNKNOWN). */
function grpcCode(n: number | undefined): status {
  const known = Object.values(status).filter((v): v is status => typeof v === "number");
  return known.find((c) => c === n) ?? status.UNKNOWN;
}

/** A running echo service. */
export interface TinyService {
  readonly port: number;
  readonly address: string;
  /** Requests served. */
  served(): number;
  /** Epoch ms of the last request start or end, or null. */
  lastServedAt(): number | null;
  /** Requests in progress. */
  inFlight(): number;
  close(): Promise<void>;
}

/** Counts requests and remembers when the service last served one. */
class Activity {
  served = 0;
  active = 0;
  last: number | null = null;
  begin(): void {
    this.served++;
    this.active++;
    this.last = Date.now();
  }
  end(): void {
    this.active--;
    this.last = Date.now();
  }
}

function mdToRecord(md: Metadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(md.getMap())) out[k] = Buffer.isBuffer(v) ? v.toString("base64") : v;
  return out;
}

function propagate(md: Metadata): Metadata {
  const out = new Metadata();
  for (const h of PROPAGATED) {
    const v = md.get(h)[0];
    if (v !== undefined) out.set(h, String(v));
  }
  return out;
}

/**
 * A gRPC echo service `name@version` for the mesh's tests and its echo topology: unary, server/client/bidi streaming,
 * response metadata (`x-served-by`) and trailers (`x-trailer-served-by`), optional failure codes,
 * and an optional next hop (dialled through the caller's sidecar outbound, headers propagated).
 */
export async function startEchoGrpc(o: {
  name: string;
  version: string;
  /** The next hop; `address` is read on first use (a sidecar starts after its app). */
  next?: { address: () => string; authority: string };
}): Promise<TinyService> {
  const me = `${o.name}@${o.version}`;
  const activity = new Activity();
  let nextClient: EchoClient | undefined;
  const nextHop = (): EchoClient | undefined => {
    if (o.next === undefined) return undefined;
    nextClient ??= echoClient(o.next.address(), o.next.authority);
    return nextClient;
  };
  const trailers = (): Metadata => {
    const t = new Metadata();
    t.set("x-trailer-served-by", me);
    return t;
  };
  const headerMd = (): Metadata => {
    const m = new Metadata();
    m.set("x-served-by", me);
    return m;
  };
  const server = new Server();
  server.addService(echoClientCtor().service, {
    Say: (call: ServerUnaryCall<EchoRequest, EchoReply>, done: sendUnaryData<EchoReply>) => {
      activity.begin();
      const cb: sendUnaryData<EchoReply> = (err, value, trailer, flags) => {
        activity.end();
        done(err, value, trailer, flags);
      };
      const req = call.request;
      const answer = (): void => {
        if ((req.fail_code ?? 0) !== 0) {
          // No headers first: a trailers-only error, as gRPC servers send when failing early.
          cb({
            code: grpcCode(req.fail_code),
            details: `${me} failed on purpose`,
            metadata: trailers(),
          });
          return;
        }
        call.sendMetadata(headerMd());
        const md = mdToRecord(call.metadata);
        const next = req.forward === true ? nextHop() : undefined;
        if (next !== undefined) {
          next.Say({ text: req.text ?? "" }, propagate(call.metadata), (err, res) => {
            if (err !== null || res === undefined) {
              cb({
                code: err?.code ?? status.INTERNAL,
                details: `${me} → next: ${err?.message ?? "no reply"}`,
              });
              return;
            }
            cb(
              null,
              { text: req.text ?? "", served_by: [me, ...(res.served_by ?? [])], metadata: md },
              trailers(),
            );
          });
          return;
        }
        cb(null, { text: req.text ?? "", served_by: [me], metadata: md }, trailers());
      };
      if ((req.delay_ms ?? 0) > 0) setTimeout(answer, req.delay_ms);
      else answer();
    },
    Stream: (call: ServerWritableStream<EchoRequest, EchoReply>) => {
      activity.begin();
      endOnce(call, activity);
      call.sendMetadata(headerMd());
      const n = call.request.count ?? 1;
      let i = 0;
      const tick = (): void => {
        if (call.cancelled) return;
        if (i >= n) {
          call.end(trailers());
          return;
        }
        call.write({ text: `${call.request.text ?? ""}#${i}`, served_by: [me] });
        i++;
        setTimeout(tick, call.request.delay_ms ?? 0);
      };
      tick();
    },
    Collect: (call: ServerReadableStream<EchoRequest, EchoReply>, done: sendUnaryData<EchoReply>) => {
      activity.begin();
      const cb: sendUnaryData<EchoReply> = (err, value, trailer) => {
        activity.end();
        done(err, value, trailer);
      };
      const parts: string[] = [];
      call.on("data", (r: EchoRequest) => parts.push(r.text ?? ""));
      call.on("end", () =>
        cb(null, { text: parts.join(","), served_by: [me], metadata: mdToRecord(call.metadata) }, trailers()),
      );
    },
    Chat: (call: ServerDuplexStream<EchoRequest, EchoReply>) => {
      activity.begin();
      endOnce(call, activity);
      call.sendMetadata(headerMd());
      call.on("data", (r: EchoRequest) => call.write({ text: `echo:${r.text ?? ""}`, served_by: [me] }));
      call.on("end", () => call.end(trailers()));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) =>
      err !== null ? reject(err) : resolve(p),
    ),
  );
  return {
    port,
    address: `127.0.0.1:${port}`,
    served: () => activity.served,
    lastServedAt: () => activity.last,
    inFlight: () => activity.active,
    close: () =>
      new Promise<void>((resolve) => {
        nextClient?.close();
        server.tryShutdown(() => resolve());
        setTimeout(() => server.forceShutdown(), 2_000).unref();
      }),
  };
}

/**
 * An HTTP/1.1 echo service `name@version`: answers JSON `{servedBy, path, headers}`;
 * `x-test-status` sets the response status.
 */
export async function startEchoHttp(o: { name: string; version: string }): Promise<TinyService> {
  const me = `${o.name}@${o.version}`;
  const activity = new Activity();
  const server = http.createServer((req, res) => {
    activity.begin();
    res.once("close", () => activity.end());
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const status = Number(req.headers["x-test-status"] ?? 200);
      const body = JSON.stringify({
        servedBy: me,
        path: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      res.writeHead(status, { "content-type": "application/json", "x-served-by": me });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    served: () => activity.served,
    lastServedAt: () => activity.last,
    inFlight: () => activity.active,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
