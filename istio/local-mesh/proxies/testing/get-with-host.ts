/**
 * An HTTP/1.1 GET to a loopback proxy port with a Host header of the test's choosing (`fetch`
 * cannot set Host), answered with status, headers, body and how long it took.
 */
import http from "node:http";

/** What a {@link getWithHost} call answered. */
export interface HostReply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly elapsedMs: number;
}

/** GETs `path` (default `/`) from `127.0.0.1:<port>` as `host`. */
export function getWithHost(
  port: number | string,
  host: string,
  options: { readonly path?: string; readonly headers?: Record<string, string> } = {},
): Promise<HostReply> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, path: options.path ?? "/", headers: { host, ...options.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
            elapsedMs: Date.now() - start,
          }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}
