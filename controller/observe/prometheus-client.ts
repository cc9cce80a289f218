/**
 * The Prometheus provider of the MetricsQuery port: PromQL instant queries over Prometheus's
 * HTTP API (`POST /api/v1/query`), within the caller's time budget, with bounded retries of
 * what may pass (a refused connection, a timeout, a 5xx or 429) and none of what will not (a
 * query Prometheus refuses). Every error says which Prometheus, what happened, and how often
 * it was tried.
 */
import type { MetricsQuery, MetricsQueryResult } from "../ports/metrics-query.js";

/** Options of one Prometheus provider. */
export interface PrometheusClientOptions {
  /** `http(s)://host:port[/path]` of Prometheus. */
  readonly address: string;
  /** Further attempts after a failure that may pass (default 2). */
  readonly retries?: number;
  /** Pause before each further attempt (default 200 ms). */
  readonly retryDelayMs?: number;
  /** The fetch to use (tests and proxies); default the global one. */
  readonly fetch?: typeof fetch;
}

/** Prometheus's API envelope (https://prometheus.io/docs/prometheus/latest/querying/api/). */
interface ApiResponse {
  readonly status?: "success" | "error";
  readonly errorType?: string;
  readonly error?: string;
  readonly data?: { readonly resultType?: string; readonly result?: unknown };
}

type Sample = readonly [number, string];

/** An attempt's outcome: a result, or an error that another attempt may cure. */
type Attempt = { readonly done: MetricsQueryResult } | { readonly retry: string };

/** Instant queries against one Prometheus. */
export class PrometheusClient implements MetricsQuery {
  readonly describe: string;
  private readonly url: string;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly fetchFn: typeof fetch;

  constructor(options: PrometheusClientOptions) {
    this.describe = options.address;
    this.url = `${options.address.replace(/\/+$/, "")}/api/v1/query`;
    this.retries = Math.max(0, options.retries ?? 2);
    this.retryDelayMs = Math.max(0, options.retryDelayMs ?? 200);
    this.fetchFn = options.fetch ?? fetch;
  }

  async instant(query: string, at: number, timeoutMs: number): Promise<MetricsQueryResult> {
    const deadline = Date.now() + timeoutMs;
    let attempts = 0;
    let last = "";
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      attempts++;
      const outcome = await this.attempt(query, at, left);
      if ("done" in outcome) return outcome.done;
      last = outcome.retry;
      if (attempts > this.retries || deadline - Date.now() <= this.retryDelayMs) break;
      await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs));
    }
    const tries = attempts === 1 ? "1 attempt" : `${attempts} attempts`;
    return {
      ok: false,
      error: `Prometheus at ${this.describe}: ${last || `no answer within ${timeoutMs} ms`} (${tries} within ${timeoutMs} ms)`,
    };
  }

  private async attempt(query: string, at: number, leftMs: number): Promise<Attempt> {
    let res: Response;
    let body: string;
    try {
      res = await this.fetchFn(this.url, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: new URLSearchParams({ query, time: String(at / 1000), timeout: `${leftMs}ms` }),
        signal: AbortSignal.timeout(leftMs),
      });
      body = await res.text();
    } catch (err) {
      return { retry: describeFetchError(err, leftMs) };
    }
    let doc: ApiResponse | undefined;
    try {
      doc = JSON.parse(body) as ApiResponse;
    } catch {
      doc = undefined;
    }
    if (doc?.status === "error") {
      const message = `${doc.errorType ?? "error"}: ${doc.error ?? "no message"}`;
      return res.status >= 500 || res.status === 429
        ? { retry: message }
        : { done: { ok: false, error: message } };
    }
    if (!res.ok) {
      const message = `HTTP ${res.status}${body === "" ? "" : `: ${body.slice(0, 200).trim()}`}`;
      return res.status >= 500 || res.status === 429
        ? { retry: message }
        : { done: { ok: false, error: message } };
    }
    if (doc?.status !== "success" || doc.data === undefined) {
      return { done: { ok: false, error: `Prometheus at ${this.describe}: not a Prometheus API answer` } };
    }
    return { done: valueOf(doc.data.resultType, doc.data.result) };
  }
}

/** The one value of an instant query's result; NaN (e.g. 0/0 without traffic) counts as no sample. */
export function valueOf(resultType: string | undefined, result: unknown): MetricsQueryResult {
  if (resultType === "scalar") return { ok: true, value: sampleValue(result as Sample) };
  if (resultType !== "vector") {
    return {
      ok: false,
      error: `returned a ${resultType ?? "missing"} result; write a query that returns one sample`,
    };
  }
  const series = result as readonly { metric?: Record<string, string>; value: Sample }[];
  if (series.length === 0) return { ok: true, value: null };
  if (series.length > 1) {
    const first = series
      .slice(0, 2)
      .map((s) => JSON.stringify(s.metric ?? {}))
      .join(", ");
    return {
      ok: false,
      error: `returned ${series.length} series (${first}${series.length > 2 ? ", …" : ""}); aggregate them to one, e.g. with sum()`,
    };
  }
  return { ok: true, value: sampleValue(series[0]?.value) };
}

function sampleValue(sample: Sample | undefined): number | null {
  const text = sample?.[1];
  if (text === undefined) return null;
  if (text === "+Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  const n = Number(text);
  return Number.isNaN(n) ? null : n;
}

function describeFetchError(err: unknown, leftMs: number): string {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
    return `no answer within ${leftMs} ms`;
  }
  const cause =
    err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code !== undefined)
    return `${cause.code}${cause.message !== undefined ? ` (${cause.message})` : ""}`;
  return err instanceof Error ? err.message : String(err);
}

/** Providers by address, made once each (the controller's and the upgrades' own). */
export function prometheusProviders(
  defaults: Omit<PrometheusClientOptions, "address"> = {},
  max = 32,
): (address: string) => MetricsQuery {
  const made = new Map<string, PrometheusClient>();
  return (address) => {
    let client = made.get(address);
    if (client === undefined) {
      client = new PrometheusClient({ ...defaults, address });
      made.set(address, client);
      // Bounded: the oldest goes first (an upgrade's own address is rarely needed again).
      if (made.size > max) made.delete(made.keys().next().value ?? address);
    }
    return client;
  };
}
