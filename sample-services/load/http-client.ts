import { Agent, request as httpRequest } from "node:http";
import { decodeServedBy, mixedVersions, SERVED_BY_KEY } from "../served-by.js";
import type { TransactionKind, TransactionRecord } from "./types.js";

/** One request to send. */
export interface LoadRequest {
  readonly journey: number;
  readonly kind: TransactionKind;
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly body?: unknown;
  readonly token?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly slow?: boolean;
}

/** A request's record and its parsed JSON body (undefined when none). */
export interface LoadResponse {
  readonly record: TransactionRecord;
  readonly body: Record<string, unknown> | undefined;
}

/** A raw HTTP response. */
interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
}

/**
 * Sends load requests over node:http (not fetch, which drops a `Host` header an ingress may
 * route by) on a keep-alive agent, and turns each into a TransactionRecord.
 */
export class LoadHttpClient {
  readonly #agent: Agent;
  readonly #base: URL;

  constructor(
    baseUrl: string,
    private readonly deps: {
      readonly now: () => number;
      readonly timeoutMs: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly maxSockets: number;
    },
  ) {
    this.#base = new URL(baseUrl);
    this.#agent = new Agent({ keepAlive: true, maxSockets: deps.maxSockets });
  }

  /** Closes pooled connections. */
  close(): void {
    this.#agent.destroy();
  }

  /** Sends one request; never throws (network errors become status 0). */
  async send(req: LoadRequest, signal: AbortSignal): Promise<LoadResponse> {
    const startedAt = this.deps.now();
    const t0 = performance.now();
    const headers: Record<string, string> = {
      ...this.deps.headers,
      ...req.headers,
      accept: "application/json",
    };
    const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
    if (payload !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = String(Buffer.byteLength(payload));
    }
    if (req.token !== undefined) headers.authorization = `Bearer ${req.token}`;
    const base = {
      journey: req.journey,
      kind: req.kind,
      method: req.method,
      path: req.path,
      startedAt,
      slow: req.slow ?? false,
    };
    try {
      const res = await this.#request(
        req.method,
        req.path,
        headers,
        payload,
        AbortSignal.any([signal, AbortSignal.timeout(this.deps.timeoutMs)]),
      );
      const latencyMs = performance.now() - t0;
      let body: Record<string, unknown> | undefined;
      try {
        const parsed: unknown = JSON.parse(res.text);
        if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed))
          body = parsed as Record<string, unknown>;
      } catch {
        body = undefined;
      }
      const header = (name: string): string | undefined => {
        const v = res.headers[name];
        return Array.isArray(v) ? v.join(",") : v;
      };
      const servedBy = Array.isArray(body?.servedBy)
        ? body.servedBy.filter((s): s is string => typeof s === "string")
        : decodeServedBy(header(SERVED_BY_KEY));
      const requestId = header("x-request-id");
      const ok = res.status >= 200 && res.status < 300;
      const error = ok ? undefined : errorMessage(body, res.status, res.text);
      const record: TransactionRecord = {
        ...base,
        latencyMs,
        status: res.status,
        ok,
        ...(error !== undefined ? { error } : {}),
        ...(requestId !== undefined ? { requestId } : {}),
        servedBy,
        mixed: mixedVersions(servedBy),
      };
      return { record, body };
    } catch (err) {
      const record: TransactionRecord = {
        ...base,
        latencyMs: performance.now() - t0,
        status: 0,
        ok: false,
        error: `${req.method} ${req.path} got no response: ${err instanceof Error ? err.message : String(err)}`,
        servedBy: [],
        mixed: {},
      };
      return { record, body: undefined };
    }
  }

  #request(
    method: string,
    path: string,
    headers: Record<string, string>,
    payload: string | undefined,
    signal: AbortSignal,
  ): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const r = httpRequest(
        {
          host: this.#base.hostname.replace(/^\[|\]$/g, ""),
          port: this.#base.port === "" ? 80 : Number(this.#base.port),
          method,
          path: this.#base.pathname.replace(/\/$/, "") + path,
          headers,
          agent: this.#agent,
          signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text: Buffer.concat(chunks).toString("utf8"),
            }),
          );
          res.on("error", reject);
        },
      );
      r.on("error", reject);
      r.end(payload);
    });
  }
}

function errorMessage(body: Record<string, unknown> | undefined, status: number, text: string): string {
  const e = body?.error as { message?: unknown } | undefined;
  if (typeof e?.message === "string") return e.message;
  return `HTTP ${status}: ${text.slice(0, 200)}`;
}
