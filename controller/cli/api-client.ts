/**
 * The CLI's client of the controller's HTTP API (controller/api/server.ts). It turns every
 * failure into a CliError that says what to do next: an unreachable controller, a refused
 * request (with the controller's `problems`, one per line) or a server error.
 */
import type { UpgradeSpec } from "../upgrade-spec/schema.js";
import type { UpgradeView } from "../api/view.js";
import { CliError } from "./cli-error.js";
import { ExitCode } from "./exit-codes.js";
import { readSse } from "./sse.js";

import type { UpgradesClient, UpgradeVerb } from "./upgrades-client.js";

export type { UpgradeVerb } from "./upgrades-client.js";

/** Options of {@link ApiClient}. */
export interface ApiClientOptions {
  /** The controller's base URL, e.g. http://127.0.0.1:7070. */
  readonly server: string;
  readonly token?: string | undefined;
  readonly fetch: typeof fetch;
  /** Aborts requests and streams (Ctrl-C). */
  readonly signal?: AbortSignal | undefined;
  /** Time limit of one plain request (not of event streams). */
  readonly timeoutMs?: number;
  /** The namespace of the Upgrades it names; unset: the controller's default (`default`), and lists show every namespace. */
  readonly namespace?: string | undefined;
}

interface ErrorBody {
  readonly error?: unknown;
  readonly problems?: unknown;
}

const DEFAULT_TIMEOUT_MS = 15_000;

/** Calls the controller's HTTP API. */
export class ApiClient implements UpgradesClient {
  private readonly base: string;

  constructor(private readonly options: ApiClientOptions) {
    this.base = options.server.replace(/\/+$/, "");
  }

  /** Every upgrade, oldest first. */
  async list(): Promise<readonly UpgradeView[]> {
    const body = (await this.request("GET", `/v1/upgrades${this.query()}`)) as { upgrades: UpgradeView[] };
    return body.upgrades;
  }

  /** One upgrade. */
  async get(name: string): Promise<UpgradeView> {
    return (await this.request(
      "GET",
      `/v1/upgrades/${encodeURIComponent(name)}${this.query()}`,
    )) as UpgradeView;
  }

  /** Creates an upgrade (needs the token). */
  async create(name: string, spec: UpgradeSpec): Promise<UpgradeView> {
    const namespace = this.options.namespace;
    return (await this.request("POST", "/v1/upgrades", {
      name,
      ...(namespace !== undefined ? { namespace } : {}),
      spec,
    })) as UpgradeView;
  }

  /** Sends pause, resume, promote or abort (needs the token). */
  async command(name: string, verb: UpgradeVerb): Promise<UpgradeView> {
    return (await this.request(
      "POST",
      `/v1/upgrades/${encodeURIComponent(name)}/${verb}${this.query()}`,
      {},
    )) as UpgradeView;
  }

  /**
   * The upgrade's status stream: yields the current view, then one per change, and returns
   * when the controller ends the stream (the upgrade reached a terminal phase, or it went away).
   * `signal` stops it early, as Ctrl-C does.
   */
  async *events(name: string, signal?: AbortSignal): AsyncGenerator<UpgradeView> {
    const path = `/v1/upgrades/${encodeURIComponent(name)}/events${this.query()}`;
    const own = this.options.signal;
    const stop = signal === undefined ? own : own === undefined ? signal : AbortSignal.any([own, signal]);
    const response = await this.send("GET", path, undefined, { accept: "text/event-stream" }, stop, stop);
    if (!response.ok) await this.fail(response, "GET", path);
    if (response.body === null) throw this.garbage("GET", path, "an empty event stream");
    const events = readSse(response.body);
    for (;;) {
      let next: IteratorResult<{ event: string; data: string }>;
      try {
        next = await events.next();
      } catch (err) {
        if (stop?.aborted === true) throw err;
        throw new CliError(
          `lost the connection to the controller at ${this.base} while following ${name} (${reasonOf(err)})`,
          ExitCode.Unavailable,
          [],
          { cause: err },
        );
      }
      if (next.done === true) return;
      if (next.value.event !== "status") continue;
      let view: UpgradeView;
      try {
        view = JSON.parse(next.value.data) as UpgradeView;
      } catch (err) {
        throw this.garbage("GET", path, "an event that is not JSON", err);
      }
      yield view;
    }
  }

  /** `?namespace=` when one was given. */
  private query(): string {
    const ns = this.options.namespace;
    return ns === undefined ? "" : `?namespace=${encodeURIComponent(ns)}`;
  }

  private async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const signal = this.options.signal ? AbortSignal.any([this.options.signal, timeout]) : timeout;
    const response = await this.send(method, path, body, { accept: "application/json" }, signal);
    if (!response.ok) await this.fail(response, method, path);
    try {
      return await response.json();
    } catch (err) {
      throw this.garbage(method, path, "a body that is not JSON", err);
    }
  }

  private async send(
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
    /** Aborting it means the caller stopped, not that the controller is unreachable. */
    stopped: AbortSignal | undefined = this.options.signal,
  ): Promise<Response> {
    const all: Record<string, string> = { ...headers };
    if (body !== undefined) all["content-type"] = "application/json";
    if (method !== "GET" && this.options.token) all["authorization"] = `Bearer ${this.options.token}`;
    try {
      return await this.options.fetch(`${this.base}${path}`, {
        method,
        headers: all,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (stopped?.aborted === true) throw err;
      throw new CliError(
        `cannot reach the controller at ${this.base} (${reasonOf(err)}): start it with \`npm start\`, or pass --server <url> or set TRANQUIL_URL`,
        ExitCode.Unavailable,
        [],
        { cause: err },
      );
    }
  }

  private async fail(response: Response, method: string, path: string): Promise<never> {
    let body: ErrorBody = {};
    try {
      body = (await response.json()) as ErrorBody;
    } catch {
      // A proxy or another program answered; say so below with the status alone.
    }
    const message =
      typeof body.error === "string" ? body.error : `HTTP ${response.status} ${response.statusText}`;
    const problems = Array.isArray(body.problems) ? body.problems.map(formatProblem) : [];
    if (response.status === 401 && !this.options.token) {
      throw new CliError(`${message} (no token given)`, ExitCode.BadInput);
    }
    if (response.status >= 400 && response.status < 500) {
      // The controller's problems repeat its message; print them alone when it sent them.
      throw new CliError(
        problems.length > 0 ? "the controller refused the request; fix these and try again:" : message,
        ExitCode.BadInput,
        problems,
        { status: response.status },
      );
    }
    throw new CliError(
      `the controller at ${this.base} failed on ${method} ${path}: ${message}; see the controller's log`,
      ExitCode.Unavailable,
    );
  }

  private garbage(method: string, path: string, what: string, cause?: unknown): CliError {
    return new CliError(
      `the server at ${this.base} answered ${method} ${path} with ${what}; is --server pointing at a Tranquil controller?`,
      ExitCode.Unavailable,
      [],
      { cause },
    );
  }
}

function formatProblem(problem: unknown): string {
  if (typeof problem === "object" && problem !== null) {
    const { path, message } = problem as { path?: unknown; message?: unknown };
    if (typeof message === "string")
      return typeof path === "string" && path !== "" ? `${path}: ${message}` : message;
  }
  return JSON.stringify(problem);
}

/** The most telling part of a fetch failure: ECONNREFUSED, ENOTFOUND, a timeout. */
function reasonOf(err: unknown): string {
  let current: unknown = err;
  let deepest = err instanceof Error ? err.message : String(err);
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === "string") return code;
    if (current.name === "TimeoutError") return "timed out";
    deepest = current.message;
    current = current.cause;
  }
  return deepest;
}
