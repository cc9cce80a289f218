/**
 * A small client for the pod's own Envoy admin endpoint (Istio: `http://127.0.0.1:15000`).
 * Every call is one GET with a deadline and a body size cap; the body goes to this folder's parsers.
 */
import { parseClusters, type ClusterHost } from "./clusters.js";
import { parseRouteConfigs, type DumpRouteConfig } from "./config-dump.js";
import { parseStats } from "./stats.js";

/** Why an admin call failed. */
export const ENVOY_ADMIN_FAILURE = {
  timeout: "timeout",
  network: "network",
  status: "status",
  tooLarge: "too_large",
  parse: "parse",
} as const;
export type EnvoyAdminFailure = (typeof ENVOY_ADMIN_FAILURE)[keyof typeof ENVOY_ADMIN_FAILURE];

/** An admin call that failed: which URL, what kind of failure, and the cause. */
export class EnvoyAdminError extends Error {
  override readonly name = "EnvoyAdminError";
  constructor(
    message: string,
    readonly url: string,
    readonly kind: EnvoyAdminFailure,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Options for `EnvoyAdminClient`. */
export interface EnvoyAdminClientOptions {
  /** e.g. `http://127.0.0.1:15000`. */
  readonly baseUrl: string;
  /** Deadline for one call, headers and body included. */
  readonly timeoutMs: number;
  /** Injected for tests; defaults to the global `fetch`. */
  readonly fetchImpl?: typeof fetch;
  /** Largest body accepted (default 64 MiB; full config dumps of big meshes run to tens of MB). */
  readonly maxBodyBytes?: number;
}

/**
 * Only the stats `envoyFigures` reads. Envoy's `filter` is a regex over stat names; asking for
 * these alone keeps a sidecar's `/stats` answer small.
 */
export const FIGURE_STATS_FILTER =
  "ext_authz\\.|^access_logs\\.grpc_access_log\\.|downstream_rq_active$|upstream_rq_active$|upstream_rq_pending_active$";

/** Reads `/stats`, `/clusters` and route configurations from one Envoy admin endpoint. */
export class EnvoyAdminClient {
  private readonly fetchImpl: typeof fetch;
  private readonly maxBodyBytes: number;

  constructor(private readonly options: EnvoyAdminClientOptions) {
    this.fetchImpl = options.fetchImpl ?? fetch;
    this.maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024;
  }

  /** `GET /stats?format=json&filter=…` → counters and gauges by name. */
  async stats(filter: string = FIGURE_STATS_FILTER): Promise<Map<string, number>> {
    const url = this.url("/stats", { format: "json", filter });
    return this.parse(url, await this.get(url), parseStats);
  }

  /** `GET /clusters?format=json` → each cluster's hosts and health. */
  async clusters(): Promise<Map<string, ClusterHost[]>> {
    const url = this.url("/clusters", { format: "json" });
    return this.parse(url, await this.get(url), parseClusters);
  }

  /** `GET /config_dump?resource=dynamic_route_configs[&name_regex=…]` → route configurations. */
  async routeConfigs(nameRegex?: string): Promise<DumpRouteConfig[]> {
    const query: Record<string, string> = { resource: "dynamic_route_configs" };
    if (nameRegex !== undefined) query.name_regex = nameRegex;
    const url = this.url("/config_dump", query);
    return this.parse(url, await this.get(url), parseRouteConfigs);
  }

  private url(path: string, query: Record<string, string>): string {
    const u = new URL(path, this.options.baseUrl);
    for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
    return u.toString();
  }

  private parse<T>(url: string, body: string, parser: (body: string) => T): T {
    try {
      return parser(body);
    } catch (cause) {
      throw new EnvoyAdminError(`Envoy admin ${url}: unreadable answer`, url, "parse", undefined, { cause });
    }
  }

  private async get(url: string): Promise<string> {
    const abort = new AbortController();
    const timer = setTimeout(() => {
      abort.abort();
    }, this.options.timeoutMs);
    // A stuck admin call must never keep the process alive on shutdown.
    timer.unref();
    try {
      let res: Response;
      try {
        res = await this.fetchImpl(url, { signal: abort.signal });
      } catch (cause) {
        throw this.failure(url, abort.signal.aborted, cause);
      }
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        throw new EnvoyAdminError(`Envoy admin ${url}: HTTP ${res.status}`, url, "status", res.status);
      }
      try {
        return await this.readBody(url, res);
      } catch (cause) {
        if (cause instanceof EnvoyAdminError) throw cause;
        throw this.failure(url, abort.signal.aborted, cause);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  private failure(url: string, timedOut: boolean, cause: unknown): EnvoyAdminError {
    return timedOut
      ? new EnvoyAdminError(
          `Envoy admin ${url}: no answer within ${this.options.timeoutMs} ms`,
          url,
          "timeout",
          undefined,
          { cause },
        )
      : new EnvoyAdminError(`Envoy admin ${url}: request failed`, url, "network", undefined, { cause });
  }

  private async readBody(url: string, res: Response): Promise<string> {
    const declared = Number(res.headers.get("content-length") ?? Number.NaN);
    if (declared > this.maxBodyBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw this.tooLarge(url);
    }
    if (res.body === null) return "";
    const reader: ReadableStreamDefaultReader<Uint8Array> = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > this.maxBodyBytes) {
        await reader.cancel().catch(() => undefined);
        throw this.tooLarge(url);
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks).toString("utf8");
  }

  private tooLarge(url: string): EnvoyAdminError {
    return new EnvoyAdminError(
      `Envoy admin ${url}: answer larger than ${this.maxBodyBytes} bytes`,
      url,
      "too_large",
    );
  }
}
