/**
 * One POST of a JSON body to a notification target, and what its answer means for a retry:
 * a 2xx is delivered; a timeout, a network error, 408, 429 or a 5xx may pass on another
 * attempt; any other status will not (a wrong URL, a revoked Slack hook), so it is not retried.
 */

/** The outcome of one attempt. */
export type AttemptResult =
  { readonly ok: true } | { readonly ok: false; readonly retryable: boolean; readonly error: string };

/** Posts `body` to `url`, giving up when `signal` aborts. */
export type PostJson = (url: string, body: unknown, signal: AbortSignal) => Promise<AttemptResult>;

/** {@link PostJson} over the runtime's fetch. */
export const postJson: PostJson = async (url, body, signal) => {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "tranquil-notifier" },
      body: JSON.stringify(body),
      signal,
      redirect: "error",
    });
    // The body is not needed; reading it frees the connection.
    await response.arrayBuffer().catch(() => undefined);
    if (response.ok) return { ok: true };
    return { ok: false, retryable: retryableStatus(response.status), error: `HTTP ${response.status}` };
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : "";
    return {
      ok: false,
      retryable: true,
      error: `${err instanceof Error ? err.message : String(err)}${cause}`,
    };
  }
};

/** Whether another attempt may succeed after this status. */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
