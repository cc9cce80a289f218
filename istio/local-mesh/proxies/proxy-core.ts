import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { HTTPAccessLogEntry } from "../../../trace-manager/proto/types.js";
import { buildAccessLogEntry, type LoggedOutcome } from "./access-log-entry.js";
import type { AlsClient } from "./als-client.js";
import type { Downstream } from "./downstream.js";
import { RoundRobin } from "./endpoint-picker.js";
import type { ExtAuthzClient } from "./ext-authz-client.js";
import type { IstioReporter } from "./istio-reporter.js";
import { headerValue } from "./header-edits.js";
import { httpToGrpcStatus } from "./local-reply.js";
import type { ProxyStats } from "./stats.js";
import { UpstreamPool } from "./upstream-pool.js";

/** Which side of a proxy wrote an access log entry. */
export type LogDirection = "inbound" | "outbound" | "gateway";

/** An in-process observer of access log entries (the same entries ALS sends). */
export type AccessLogObserver = (entry: HTTPAccessLogEntry, direction: LogDirection) => void;

/** Headers Istio's `envoyHttpAls` provider logs (`additionalRequestHeadersToLog`), by default. */
export const DefaultHeadersToLog = ["x-request-id", "x-tranquil-release", "x-b3-traceid"] as const;

/** The state one proxy shares between its listeners. */
export class ProxyCore {
  readonly pool = new UpstreamPool();
  readonly rr = new RoundRobin();
  private readonly observers = new Set<AccessLogObserver>();

  constructor(
    /** Envoy node id. */
    readonly nodeId: string,
    readonly stats: ProxyStats,
    readonly authz: ExtAuthzClient | undefined,
    readonly als: AlsClient | undefined,
    readonly headersToLog: readonly string[] = DefaultHeadersToLog,
    private readonly logger?: Logger,
    /** Istio's standard metrics of this proxy (absent: the proxy keeps none). */
    readonly istio?: IstioReporter,
  ) {}

  /** Adds an observer of access log entries; returns the remover. */
  observeAccessLog(fn: AccessLogObserver): () => void {
    this.observers.add(fn);
    return () => this.observers.delete(fn);
  }

  /** The worker that owns a downstream connection (stable per connection, like Envoy's). */
  workerOf(d: Downstream): number {
    return d.remotePort % (this.als?.workerCount ?? 1);
  }

  /**
   * A stream's handler failed unexpectedly: logs it and answers 500 if nothing was sent yet,
   * so one bad stream never becomes an unhandled rejection that ends the process.
   */
  failed(d: Downstream, err: unknown, direction: LogDirection): void {
    this.logger?.error(
      { err, direction, authority: d.authority, path: d.path },
      "proxy stream handler failed",
    );
    try {
      d.localReply(500, "internal proxy error");
    } catch {
      // The response had started or the stream is gone: nothing more to say to the client.
    }
  }

  /** Builds the entry, hands it to ALS on the connection's worker, and to observers. */
  log(d: Downstream, outcome: LoggedOutcome, direction: LogDirection): void {
    // A gRPC caller got a local reply as a trailers-only status: log it where Envoy sees it.
    const local = d.grpc && outcome.grpcStatus === undefined && outcome.status > 0 && outcome.status !== 200;
    const logged = local
      ? {
          ...outcome,
          grpcStatus: { value: String(httpToGrpcStatus(outcome.status)), in: "headers" as const },
        }
      : outcome;
    const entry = buildAccessLogEntry(d, logged, this.headersToLog);
    // Envoy's failure flags are what an operator greps access logs for; say them out loud (a
    // downstream reset or an injected delay alone is no failure of the proxy).
    if (this.logger !== undefined && outcome.flags.some((f) => f !== "DR" && f !== "DI")) {
      this.logger.warn(
        {
          direction,
          authority: d.authority,
          path: d.path,
          status: outcome.status,
          flags: outcome.flags.join(","),
          cluster: outcome.upstreamCluster,
          configEpoch: outcome.configEpoch,
          requestId: headerValue(d.headers, "x-request-id"),
        },
        "request failed in the proxy",
      );
    }
    this.istio?.report(d, logged, direction === "inbound");
    this.als?.log(this.workerOf(d), entry);
    for (const fn of this.observers) fn(entry, direction);
  }

  /** Closes upstream connections and the TraceManager clients. */
  async close(): Promise<void> {
    this.pool.close();
    this.authz?.close();
    await this.als?.close();
  }
}

/** Envoy generates `x-request-id` on a request that has none (non-edge proxies keep a present one). */
export function ensureRequestId(d: Downstream): void {
  if (headerValue(d.headers, "x-request-id") === undefined) d.headers["x-request-id"] = randomUUID();
}
