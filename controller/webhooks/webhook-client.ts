/**
 * One webhook gate's call (ADR 0098): POST a JSON payload, within a timeout per attempt, with
 * bounded retries and a doubling backoff for what may pass (a refused or reset connection, a
 * timeout, a 5xx, a 429). As in Flagger, a 2xx answer is a yes and any other status a no. An
 * answer that says it is JSON and is not, or that is not HTTP at all, is garbage: a no too.
 */
import { formatDuration } from "../upgrade-spec/duration.js";
import type { WebhookOutcome } from "../ports/webhooks.js";

/** Options of {@link postWebhook}. */
export interface WebhookCallOptions {
  /** How long one attempt may take (the answer's body included). */
  readonly timeoutMs: number;
  /** Further attempts after a failure that may pass. */
  readonly retries: number;
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Pause before the first further attempt; it doubles on each (default 200 ms). */
  readonly backoffMs?: number;
  /** The fetch to use (tests); default the global one. */
  readonly fetch?: typeof fetch;
}

/** An attempt's outcome: the gate's answer, or a failure another attempt may cure. */
type Attempt = { readonly answer: WebhookOutcome } | { readonly retry: string };

/** The longest part of an answer's body quoted in a message. */
const QUOTED = 200;

/** Calls the gate at `url` with `payload`; never throws. */
export async function postWebhook(
  url: string,
  payload: unknown,
  options: WebhookCallOptions,
): Promise<WebhookOutcome> {
  const body = JSON.stringify(payload);
  const backoff = Math.max(0, options.backoffMs ?? 200);
  let last = "";
  let attempts = 0;
  for (;;) {
    attempts += 1;
    const outcome = await attempt(url, body, options);
    if ("answer" in outcome) return outcome.answer;
    last = outcome.retry;
    if (attempts > options.retries) break;
    await new Promise((resolve) => setTimeout(resolve, backoff * 2 ** (attempts - 1)));
  }
  const tries = attempts === 1 ? "1 attempt" : `${attempts} attempts`;
  return { yes: false, message: `${last} (${tries})` };
}

async function attempt(url: string, body: string, options: WebhookCallOptions): Promise<Attempt> {
  const fetchFn = options.fetch ?? fetch;
  let res: Response;
  let text: string;
  try {
    res = await fetchFn(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(options.token !== undefined ? { authorization: `Bearer ${options.token}` } : {}),
      },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    text = await res.text();
  } catch (err) {
    return fetchFailure(err, options.timeoutMs);
  }
  const quoted = text.trim().slice(0, QUOTED);
  if (res.status >= 200 && res.status < 300) {
    if (declaresJson(res) && text.trim() !== "" && !parses(text)) {
      return {
        answer: {
          yes: false,
          message: `answered garbage: HTTP ${res.status} with a body that is not JSON though its content-type says so (${JSON.stringify(quoted.slice(0, 60))})`,
        },
      };
    }
    return { answer: { yes: true, message: `said yes: HTTP ${res.status}` } };
  }
  const message = `said no: HTTP ${res.status}${quoted === "" ? "" : ` (${quoted})`}`;
  return res.status >= 500 || res.status === 429 ? { retry: message } : { answer: { yes: false, message } };
}

function declaresJson(res: Response): boolean {
  return /^application\/([\w.+-]+\+)?json\b/i.test(res.headers.get("content-type") ?? "");
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Codes of Node's HTTP parser: the peer did not speak HTTP. Another attempt will not cure it. */
const NOT_HTTP = /^HPE_/;

function fetchFailure(err: unknown, timeoutMs: number): Attempt {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
    return { retry: `did not answer: timed out after ${formatDuration(timeoutMs)}` };
  }
  const cause =
    err instanceof Error
      ? (err.cause as { name?: string; code?: string; message?: string } | undefined)
      : undefined;
  const code = cause?.code;
  if ((code !== undefined && NOT_HTTP.test(code)) || cause?.name === "HTTPParserError") {
    return {
      answer: {
        yes: false,
        message: `answered garbage: not HTTP (${code ?? cause?.message ?? "unparseable"})`,
      },
    };
  }
  if (code === "ECONNRESET" || code === "UND_ERR_SOCKET") {
    return { retry: `did not answer: the connection was reset (${code})` };
  }
  const why =
    code !== undefined
      ? `${code}${cause?.message !== undefined ? ` (${cause.message})` : ""}`
      : err instanceof Error
        ? err.message
        : String(err);
  return { retry: `did not answer: ${why}` };
}
