import { randomBytes } from "node:crypto";
import { credentials, type Client, type ServiceError } from "@grpc/grpc-js";
import type { EnvoyProtos } from "../../../trace-manager/proto/load.js";
import type { CheckRequest, CheckResponse, HeaderValueOption } from "../../../trace-manager/proto/types.js";
import { appendHeader, headerValue, type HeaderBag } from "./header-edits.js";
import { StatNames, type ExtAuthzCounterName, type ProxyStats } from "./stats.js";

/** Defaults of Istio's `envoyExtAuthzGrpc` provider as Tranquil configures it (DESIGN §3). */
export const ExtAuthzDefaults = { timeoutMs: 50, failOpen: true } as const;

/** A random uint64 as a decimal string: Envoy's stream id, sent as `HttpRequest.id`. */
export function randomStreamId(): string {
  return randomBytes(8).readBigUInt64BE().toString();
}

/** What the proxy knows about a request when it runs the check. */
export interface CheckInput {
  readonly method: string;
  /** Path including the query string. */
  readonly path: string;
  readonly host: string;
  readonly scheme: string;
  readonly protocol: "HTTP/1.1" | "HTTP/2";
  /** Lower-case names, several values joined with `,`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly sourceAddress: string;
  readonly sourcePort: number;
  readonly destinationPort: number;
}

/** Where the ext_authz counters of one request are charged. */
export interface CheckScopes {
  /** HCM stat prefix (`inbound_0.0.0.0_8080`). */
  readonly statPrefix: string;
  /** The route target cluster, when the request has a route. */
  readonly cluster?: string;
}

/** The result of a check, after Envoy's failure-mode handling. */
export type CheckOutcome =
  | {
      readonly kind: "ok";
      readonly headers: readonly HeaderValueOption[];
      readonly headersToRemove: readonly string[];
    }
  | { readonly kind: "denied"; readonly status: number }
  | { readonly kind: "failed-open"; readonly reason: string };

interface AuthorizationClient extends Client {
  Check(
    req: CheckRequest,
    options: { deadline: Date },
    cb: (err: ServiceError | null, res?: CheckResponse) => void,
  ): void;
}

/**
 * Envoy's ext_authz HTTP filter client: one gRPC channel to a TraceManager's Unix socket, a
 * deadline per Check, and fail-open (`failure_mode_allow`) counted as `error` and
 * `failure_mode_allowed`.
 */
export class ExtAuthzClient {
  private readonly client: AuthorizationClient;

  constructor(
    protos: EnvoyProtos,
    socketPath: string,
    private readonly stats: ProxyStats,
    private readonly timeoutMs: number = ExtAuthzDefaults.timeoutMs,
  ) {
    this.client = new protos.Authorization(`unix:${socketPath}`, credentials.createInsecure(), {
      "grpc.max_reconnect_backoff_ms": 1_000,
    }) as unknown as AuthorizationClient;
  }

  /**
   * Connects the channel now and resolves once it is ready (or after `ms`, whichever is first),
   * as Envoy warms its ext_authz cluster before the listener takes traffic.
   */
  warmUp(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.client.waitForReady(new Date(Date.now() + ms), () => resolve());
    });
  }

  /** Declares the counters at 0 for a scope, as Envoy does once the filter is configured. */
  declareScope(scopes: CheckScopes): void {
    for (const c of ["ok", "error", "denied", "failure_mode_allowed"] as const) {
      this.stats.declare(StatNames.extAuthzHttp(scopes.statPrefix, c));
      if (scopes.cluster !== undefined) this.stats.declare(StatNames.extAuthzCluster(scopes.cluster, c));
    }
  }

  /** Runs one Check with a fresh stream id; never rejects. */
  check(input: CheckInput, scopes: CheckScopes): Promise<CheckOutcome> {
    const now = Date.now();
    const request: CheckRequest = {
      attributes: {
        source: {
          address: { socket_address: { address: input.sourceAddress, port_value: input.sourcePort } },
        },
        destination: {
          address: { socket_address: { address: "127.0.0.1", port_value: input.destinationPort } },
        },
        request: {
          time: { seconds: String(Math.floor(now / 1000)), nanos: (now % 1000) * 1_000_000 },
          http: {
            id: randomStreamId(),
            method: input.method,
            headers: { ...input.headers },
            path: input.path,
            host: input.host,
            scheme: input.scheme,
            protocol: input.protocol,
          },
        },
      },
    };
    return new Promise((resolve) => {
      this.client.Check(request, { deadline: new Date(now + this.timeoutMs) }, (err, res) => {
        if (err !== null || res === undefined) {
          this.count(scopes, "error");
          this.count(scopes, "failure_mode_allowed");
          resolve({ kind: "failed-open", reason: err?.message ?? "empty response" });
          return;
        }
        if ((res.status?.code ?? 0) !== 0) {
          this.count(scopes, "denied");
          resolve({ kind: "denied", status: 403 });
          return;
        }
        this.count(scopes, "ok");
        resolve({
          kind: "ok",
          headers: res.ok_response?.headers ?? [],
          headersToRemove: res.ok_response?.headers_to_remove ?? [],
        });
      });
    });
  }

  /** Closes the channel. */
  close(): void {
    this.client.close();
  }

  private count(scopes: CheckScopes, what: ExtAuthzCounterName): void {
    this.stats.inc(StatNames.extAuthzHttp(scopes.statPrefix, what));
    if (scopes.cluster !== undefined) this.stats.inc(StatNames.extAuthzCluster(scopes.cluster, what));
  }
}

/**
 * Applies an OK response to request headers as Envoy's ext_authz filter does: the legacy
 * `append` (when present) wins — true appends, false overwrites — otherwise `append_action`
 * (default `APPEND_IF_EXISTS_OR_ADD`); then `headers_to_remove`. Pseudo-headers and `host` are
 * never removed.
 */
export function applyOkResponse(
  bag: HeaderBag,
  headers: readonly HeaderValueOption[],
  headersToRemove: readonly string[],
): void {
  for (const h of headers) {
    const key = h.header?.key?.toLowerCase();
    const value = h.header?.value ?? "";
    if (key === undefined || key === "" || key.startsWith(":")) continue;
    if (value === "" && h.keep_empty_value !== true) continue;
    const action =
      h.append !== undefined && h.append !== null
        ? h.append.value === true
          ? "APPEND_IF_EXISTS_OR_ADD"
          : "OVERWRITE_IF_EXISTS_OR_ADD"
        : (h.append_action ?? "APPEND_IF_EXISTS_OR_ADD");
    const exists = headerValue(bag, key) !== undefined;
    switch (action) {
      case "APPEND_IF_EXISTS_OR_ADD":
        appendHeader(bag, key, value);
        break;
      case "ADD_IF_ABSENT":
        if (!exists) bag[key] = value;
        break;
      case "OVERWRITE_IF_EXISTS_OR_ADD":
        bag[key] = value;
        break;
      case "OVERWRITE_IF_EXISTS":
        if (exists) bag[key] = value;
        break;
    }
  }
  for (const name of headersToRemove) {
    const n = name.toLowerCase();
    if (n.startsWith(":") || n === "host") continue;
    Reflect.deleteProperty(bag, n);
  }
}
