import http2 from "node:http2";
import { applyHeaderEdits, type HeaderBag } from "./header-edits.js";
import {
  DefaultRetry,
  RetryBufferLimitBytes,
  type AttemptFailure,
  type ForwardOutcome,
  type ForwardPlan,
} from "./forward-plan.js";
import { LocalReplyBody, httpToGrpcStatus, localReplyH2, type ResponseFlagName } from "./local-reply.js";
import { StatNames } from "./stats.js";
import type { UpstreamEndpoint } from "./route-port.js";

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM, HTTP2_HEADER_STATUS } = http2.constants;
const END_STREAM_FLAG = 0x1;
/** Resends of a request that never reached the upstream (a connection already going away). */
const MaxTransparentRetries = 2;

/**
 * Forwards one HTTP/2 stream (gRPC or not) to an endpoint of the plan's cluster, frames and
 * trailers intact. Retries, to other hosts of the same cluster only, on connect failure, refused
 * stream, a 503 or a trailers-only `UNAVAILABLE`/`CANCELLED` — while the request body is still
 * fully buffered. Resolves when the downstream stream is done.
 */
export function forwardHttp2(
  down: http2.ServerHttp2Stream,
  requestHeaders: HeaderBag,
  plan: ForwardPlan,
  grpc: boolean,
): Promise<ForwardOutcome> {
  return new Promise((resolve) => {
    const tried = new Set<string>();
    const body: Buffer[] = [];
    let bodyBytes = 0;
    let bodyEnded = false;
    let buffering = true;
    let committed = false;
    let done = false;
    let current: http2.ClientHttp2Stream | undefined;
    let attempts = 0;
    let transparentRetries = 0;
    let lastHost: string | undefined;
    let grpcStatus: ForwardOutcome["grpcStatus"];
    const startedAt = Date.now();

    const finish = (status: number, flags: ResponseFlagName[]): void => {
      if (done) return;
      done = true;
      resolve({
        status,
        flags,
        attempts,
        ...(lastHost !== undefined ? { upstreamHost: lastHost } : {}),
        ...(grpcStatus !== undefined ? { grpcStatus } : {}),
      });
    };
    const localReply = (status: number, body: string, flags: ResponseFlagName[]): void => {
      localReplyH2(down, grpc, status, body);
      if (grpc) grpcStatus = { value: String(httpToGrpcStatus(status)), in: "headers" };
      finish(status, flags);
    };

    down.on("data", (chunk: Buffer) => {
      if (buffering) {
        body.push(chunk);
        bodyBytes += chunk.length;
        // Too big to replay: Envoy stops buffering and the request can no longer be retried.
        if (bodyBytes > RetryBufferLimitBytes) buffering = false;
      }
      if (current !== undefined && !current.destroyed) current.write(chunk);
    });
    down.on("end", () => {
      bodyEnded = true;
      if (current !== undefined && !current.destroyed) current.end();
    });
    down.on("close", () => {
      // The client went away before a response: cancel the attempt (Envoy's DR flag).
      if (committed) return;
      if (current !== undefined && !current.destroyed) current.close(NGHTTP2_CANCEL);
      finish(0, ["DR"]);
    });

    const canRetry = (): boolean =>
      !committed &&
      buffering &&
      attempts <= plan.retries &&
      plan.candidates.some((c) => !tried.has(c.address));

    const failed = (why: AttemptFailure): void => {
      if (done || committed) return;
      const retriable = why === "connect-failure" || why === "refused-stream";
      if (retriable && canRetry()) {
        plan.stats.inc(StatNames.upstreamRqRetry(plan.cluster));
        attempt();
        return;
      }
      const flags: ResponseFlagName[] = [];
      if (why === "timeout") return localReply(504, LocalReplyBody.UT, ["UT"]);
      flags.push(why === "remote-reset" ? "UR" : "UF");
      if (attempts > 1) flags.push("URX");
      localReply(503, why === "remote-reset" ? LocalReplyBody.UR : LocalReplyBody.UF, flags);
    };

    const attempt = (): void => {
      const ep: UpstreamEndpoint | undefined = plan.rr.pick(plan.cluster, plan.candidates, tried);
      if (ep === undefined) {
        localReply(503, LocalReplyBody.UH, ["UH"]);
        return;
      }
      attempts++;
      tried.add(ep.address);
      lastHost = ep.address;
      let req: http2.ClientHttp2Stream;
      const session = plan.pool.session(ep.address);
      let sessionConnected = !session.connecting;
      try {
        const headers =
          plan.attemptCount === true
            ? { ...requestHeaders, "x-envoy-attempt-count": String(attempts) }
            : { ...requestHeaders };
        req = session.request(headers, { endStream: false });
      } catch {
        // The session is closing (GOAWAY received): the stream was never sent, so it goes again
        // to the same host on a fresh connection, unseen by the retry policy (as Envoy's pool).
        plan.pool.forget(ep.address, session);
        if (transparentRetries < MaxTransparentRetries) {
          transparentRetries++;
          attempts--;
          tried.delete(ep.address);
          attempt();
          return;
        }
        failed("refused-stream");
        return;
      }
      current = req;
      plan.stats.inc(StatNames.upstreamRqTotal(plan.cluster));
      const active = StatNames.upstreamRqActive(plan.cluster);
      plan.stats.gaugeAdd(active, 1);
      if (!sessionConnected) {
        // Waiting for a connection: Envoy's pending request gauge.
        const pending = StatNames.upstreamRqPendingActive(plan.cluster);
        plan.stats.gaugeAdd(pending, 1);
        let open = true;
        const settle = (): void => {
          sessionConnected = true;
          if (open) plan.stats.gaugeAdd(pending, -1);
          open = false;
        };
        session.once("connect", settle);
        req.once("close", () => {
          session.off("connect", settle);
          if (open) plan.stats.gaugeAdd(pending, -1);
          open = false;
        });
      }
      let responded = false;
      req.on("error", () => undefined);
      req.once("close", () => {
        plan.stats.gaugeAdd(active, -1);
        if (responded || current !== req) return;
        // A stream that closed before its session ever connected is a connect failure.
        const why: AttemptFailure = !sessionConnected
          ? "connect-failure"
          : req.rstCode === NGHTTP2_REFUSED_STREAM
            ? "refused-stream"
            : "remote-reset";
        failed(why);
      });
      for (const c of body) req.write(c);
      if (bodyEnded) req.end();
      req.once("response", (headers, flags) => {
        responded = true;
        const status = Number(headers[HTTP2_HEADER_STATUS] ?? 0);
        const endStream = (flags & END_STREAM_FLAG) !== 0;
        const grpcStatus0 = headers["grpc-status"];
        const retriableStatus =
          status === DefaultRetry.retriableStatus ||
          (endStream &&
            typeof grpcStatus0 === "string" &&
            (DefaultRetry.retriableGrpc as readonly string[]).includes(grpcStatus0));
        if (retriableStatus && canRetry()) {
          current = undefined;
          req.close(NGHTTP2_CANCEL);
          plan.stats.inc(StatNames.upstreamRqRetry(plan.cluster));
          attempt();
          return;
        }
        committed = true;
        body.length = 0;
        const out: HeaderBag = {};
        for (const [k, v] of Object.entries(headers)) if (!k.startsWith(":") || k === ":status") out[k] = v;
        applyHeaderEdits(out, plan.responseEdits);
        out["x-envoy-upstream-service-time"] = String(Date.now() - startedAt);
        const flagsOut: ResponseFlagName[] = retriableStatus && attempts > 1 ? ["URX"] : [];
        if (typeof grpcStatus0 === "string") grpcStatus = { value: grpcStatus0, in: "headers" };
        if (down.destroyed) return;
        if (endStream) {
          down.respond(out, { endStream: true });
          finish(status, flagsOut);
          return;
        }
        down.respond(out, { waitForTrailers: true });
        let trailers: http2.IncomingHttpHeaders | undefined;
        req.on("trailers", (t: http2.IncomingHttpHeaders) => {
          trailers = t;
          const gs = t["grpc-status"];
          if (typeof gs === "string") grpcStatus = { value: gs, in: "trailers" };
        });
        down.on("wantTrailers", () => {
          const t: HeaderBag = {};
          for (const [k, v] of Object.entries(trailers ?? {})) if (!k.startsWith(":")) t[k] = v;
          if (Object.keys(t).length === 0) down.close();
          else down.sendTrailers(t);
        });
        req.pipe(down);
        req.once("close", () => {
          // An upstream reset after the response started resets the downstream stream too.
          if (!req.readableEnded && !down.destroyed) down.close(req.rstCode || NGHTTP2_CANCEL);
        });
        down.once("close", () => {
          // The caller reset or cancelled mid-stream: reset the upstream stream too, as Envoy does.
          if (!req.closed) req.close(NGHTTP2_CANCEL);
          finish(status, flagsOut);
        });
      });
    };

    if (plan.timeoutMs !== undefined && plan.timeoutMs > 0) {
      const timer = setTimeout(() => {
        if (!committed && !done) {
          if (current !== undefined) current.close(NGHTTP2_CANCEL);
          current = undefined;
          failed("timeout");
        }
      }, plan.timeoutMs);
      down.once("close", () => clearTimeout(timer));
    }
    attempt();
  });
}
