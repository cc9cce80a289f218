/**
 * Envoy's HTTP fault filter (`envoy.filters.http.fault`), which Istio places after the
 * ext_authz filter and before the router: it runs the matched route's fault, already rolled by
 * the routing evaluator. A delay holds the request (flag `DI`); an abort, after any delay,
 * answers locally with "fault filter abort" (flag `FI`) and the request never reaches the
 * router, so no endpoint is picked and no upstream sees it.
 */
import { FAULT_ABORT_BODY, type InjectedFault } from "../../routing/fault.js";
import type { LoggedOutcome } from "./access-log-entry.js";
import type { Downstream } from "./downstream.js";
import { httpToGrpcStatus, ResponseFlag, type ResponseFlagName } from "./local-reply.js";
import type { LogDirection, ProxyCore } from "./proxy-core.js";
import { StatNames } from "./stats.js";

/** Where the filter runs and what it logs when it ends the request itself. */
export interface FaultFilterContext {
  /** The HCM stat prefix (`http.<prefix>.fault.delays_injected` / `aborts_injected`). */
  readonly statPrefix: string;
  readonly direction: LogDirection;
  /** What the access log knows before the router: start, snapshot epoch, route and its cluster. */
  readonly logged: Pick<LoggedOutcome, "startMs" | "configEpoch" | "routeName" | "upstreamCluster">;
}

/** Resolves after `ms`, or with "closed" as soon as the downstream goes away. */
async function holdFor(ms: number, closed: Promise<void>): Promise<"elapsed" | "closed"> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<"elapsed">((resolve) => {
    timer = setTimeout(() => resolve("elapsed"), ms);
  });
  try {
    return await Promise.race([elapsed, closed.then(() => "closed" as const)]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `fault` on the request: returns the response flags to carry to the router (`[]` or
 * `["DI"]`), or undefined when the filter ended the request (an abort, or the caller hung up
 * during the delay) and wrote its access-log entry.
 */
export async function runFaultFilter(
  d: Downstream,
  core: ProxyCore,
  fault: InjectedFault | undefined,
  ctx: FaultFilterContext,
): Promise<readonly ResponseFlagName[] | undefined> {
  if (fault === undefined) return [];
  const flags: ResponseFlagName[] = [];
  if (fault.delayMs !== undefined) {
    core.stats.inc(StatNames.faultDelaysInjected(ctx.statPrefix));
    flags.push(ResponseFlag.delayInjected);
    if ((await holdFor(fault.delayMs, d.closed)) === "closed") {
      // Envoy resets the stream and its delay timer; nothing goes upstream.
      core.log(
        d,
        {
          ...ctx.logged,
          endMs: Date.now(),
          status: 0,
          flags: [...flags, ResponseFlag.downstreamRemoteReset],
        },
        ctx.direction,
      );
      return undefined;
    }
  }
  const abort = fault.abort;
  if (abort === undefined) return flags;
  core.stats.inc(StatNames.faultAbortsInjected(ctx.statPrefix));
  // A gRPC caller gets the abort's gRPC status trailers-only; an HTTP status maps as any local reply.
  const grpcStatus = d.grpc ? (abort.grpcStatus ?? httpToGrpcStatus(abort.httpStatus)) : undefined;
  d.localReply(abort.httpStatus, FAULT_ABORT_BODY, undefined, grpcStatus);
  core.log(
    d,
    {
      ...ctx.logged,
      endMs: Date.now(),
      status: abort.httpStatus,
      flags: [...flags, ResponseFlag.faultInjected],
      ...(grpcStatus !== undefined
        ? { grpcStatus: { value: String(grpcStatus), in: "headers" as const } }
        : {}),
    },
    ctx.direction,
  );
  return undefined;
}
