import http from "node:http";
import { applyHeaderEdits, type HeaderBag } from "./header-edits.js";
import {
  DefaultRetry,
  RetryBufferLimitBytes,
  type AttemptFailure,
  type ForwardOutcome,
  type ForwardPlan,
} from "./forward-plan.js";
import { LocalReplyBody, localReplyH1, type ResponseFlagName } from "./local-reply.js";
import { StatNames } from "./stats.js";

/** Hop-by-hop headers a proxy never forwards (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
]);

/** Resends of a request that never reached the upstream (a reused connection closed under it). */
const MaxTransparentRetries = 2;

/** Copies headers without hop-by-hop ones. */
export function endToEnd(headers: HeaderBag): HeaderBag {
  const out: HeaderBag = {};
  for (const [k, v] of Object.entries(headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = v;
  return out;
}

/**
 * Forwards one HTTP/1.1 request to an endpoint of the plan's cluster, over HTTP/1.1. Retries to
 * other hosts of the same cluster on connect failure or a 503, while the body is still buffered.
 */
export function forwardHttp1(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  requestHeaders: HeaderBag,
  plan: ForwardPlan,
): Promise<ForwardOutcome> {
  return new Promise((resolve) => {
    const tried = new Set<string>();
    const body: Buffer[] = [];
    let bodyBytes = 0;
    let bodyEnded = false;
    let buffering = true;
    let committed = false;
    let done = false;
    let current: http.ClientRequest | undefined;
    let attempts = 0;
    let transparentRetries = 0;
    let lastHost: string | undefined;
    const startedAt = Date.now();
    const headers = endToEnd(requestHeaders);

    const finish = (status: number, flags: ResponseFlagName[]): void => {
      if (done) return;
      done = true;
      resolve({ status, flags, attempts, ...(lastHost !== undefined ? { upstreamHost: lastHost } : {}) });
    };
    const localReply = (status: number, text: string, flags: ResponseFlagName[]): void => {
      localReplyH1(res, status, text);
      finish(status, flags);
    };

    req.on("data", (chunk: Buffer) => {
      if (buffering) {
        body.push(chunk);
        bodyBytes += chunk.length;
        if (bodyBytes > RetryBufferLimitBytes) buffering = false;
      }
      current?.write(chunk);
    });
    req.on("end", () => {
      bodyEnded = true;
      current?.end();
    });
    res.on("close", () => {
      if (committed) return;
      current?.destroy();
      finish(0, ["DR"]);
    });

    const canRetry = (): boolean =>
      !committed &&
      buffering &&
      attempts <= plan.retries &&
      plan.candidates.some((c) => !tried.has(c.address));

    const failed = (why: AttemptFailure): void => {
      if (done || committed) return;
      if (why === "connect-failure" && canRetry()) {
        plan.stats.inc(StatNames.upstreamRqRetry(plan.cluster));
        attempt();
        return;
      }
      if (why === "timeout") return localReply(504, LocalReplyBody.UT, ["UT"]);
      const flags: ResponseFlagName[] = [why === "connect-failure" ? "UF" : "UR"];
      if (attempts > 1) flags.push("URX");
      localReply(503, why === "connect-failure" ? LocalReplyBody.UF : LocalReplyBody.UR, flags);
    };

    const attempt = (): void => {
      const ep = plan.rr.pick(plan.cluster, plan.candidates, tried);
      if (ep === undefined) return localReply(503, LocalReplyBody.UH, ["UH"]);
      attempts++;
      tried.add(ep.address);
      lastHost = ep.address;
      const [hostname, port] = ep.address.split(":");
      const active = StatNames.upstreamRqActive(plan.cluster);
      plan.stats.inc(StatNames.upstreamRqTotal(plan.cluster));
      plan.stats.gaugeAdd(active, 1);
      let connected = false;
      let responded = false;
      const up = http.request({
        hostname,
        port: Number(port),
        method: req.method,
        path: req.url,
        headers: (plan.attemptCount === true
          ? { ...headers, "x-envoy-attempt-count": String(attempts) }
          : headers) as http.OutgoingHttpHeaders,
        agent: plan.pool.agent,
      });
      current = up;
      up.on("socket", (s) => {
        if (!s.connecting) connected = true;
        else s.once("connect", () => (connected = true));
      });
      up.once("close", () => plan.stats.gaugeAdd(active, -1));
      up.on("error", () => {
        if (current !== up) return;
        // A kept-alive connection the server closed just as it was reused: the request never
        // reached the app, so it is resent to the same host on a new connection.
        if (up.reusedSocket && !responded && transparentRetries < MaxTransparentRetries) {
          transparentRetries++;
          attempts--;
          tried.delete(ep.address);
          current = undefined;
          attempt();
          return;
        }
        failed(connected ? "remote-reset" : "connect-failure");
      });
      for (const c of body) up.write(c);
      if (bodyEnded) up.end();
      up.once("response", (upRes) => {
        responded = true;
        const status = upRes.statusCode ?? 0;
        const retriable = status === DefaultRetry.retriableStatus;
        if (retriable && canRetry()) {
          current = undefined;
          upRes.resume();
          plan.stats.inc(StatNames.upstreamRqRetry(plan.cluster));
          attempt();
          return;
        }
        committed = true;
        body.length = 0;
        const out = endToEnd(upRes.headers);
        applyHeaderEdits(out, plan.responseEdits);
        out["x-envoy-upstream-service-time"] = String(Date.now() - startedAt);
        const flags: ResponseFlagName[] = retriable && attempts > 1 ? ["URX"] : [];
        res.writeHead(status, out as http.OutgoingHttpHeaders);
        upRes.pipe(res, { end: false });
        upRes.once("end", () => {
          if (Object.keys(upRes.trailers).length > 0) res.addTrailers(upRes.trailers);
          res.end();
        });
        upRes.once("error", () => res.destroy());
        res.once("close", () => {
          // The client went away mid-response: drop the upstream request too.
          if (!upRes.complete) up.destroy();
          finish(status, flags);
        });
      });
    };

    if (plan.timeoutMs !== undefined && plan.timeoutMs > 0) {
      const timer = setTimeout(() => {
        if (!committed && !done) {
          const up = current;
          current = undefined;
          up?.destroy();
          failed("timeout");
        }
      }, plan.timeoutMs);
      res.once("close", () => clearTimeout(timer));
    }
    attempt();
  });
}
