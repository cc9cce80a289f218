/**
 * The router's last step, shared by the sidecar's outbound listener and the ingress gateway:
 * pick the healthy endpoints of the chosen subset (503 `UH` when there is none), forward with
 * Istio's default retries, and write the access-log entry.
 */
import type { Downstream } from "./downstream.js";
import { matchesLabels } from "./endpoint-picker.js";
import { LocalReplyBody } from "./local-reply.js";
import type { ResponseFlagName } from "./local-reply.js";
import type { LogDirection, ProxyCore } from "./proxy-core.js";
import type { RouteDecision, RoutingFrame, UpstreamEndpoint } from "./route-port.js";
import type { WorkloadIdentity } from "./istio-metrics.js";
import { workloadOf } from "./istio-reporter.js";

/**
 * Forwards `d` as `decision` says, within the routing `frame` the stream started with.
 * `priorFlags` are set by earlier filters (an injected delay's `DI`) and logged with the outcome.
 */
export async function forwardDecision(
  d: Downstream,
  core: ProxyCore,
  frame: RoutingFrame,
  decision: Extract<RouteDecision, { kind: "forward" }>,
  startMs: number,
  direction: LogDirection,
  priorFlags: readonly ResponseFlagName[] = [],
): Promise<void> {
  const candidates = frame
    .endpoints(decision.host)
    .filter((e) => e.healthy && matchesLabels(e, decision.endpointLabels));
  const base = {
    upstreamCluster: decision.cluster,
    ...(decision.routeName !== undefined ? { routeName: decision.routeName } : {}),
  };
  if (candidates.length === 0) {
    d.localReply(503, LocalReplyBody.UH);
    core.log(
      d,
      {
        startMs,
        configEpoch: frame.epoch,
        endMs: Date.now(),
        status: 503,
        flags: [...priorFlags, "UH"],
        ...base,
      },
      direction,
    );
    return;
  }
  core.istio?.stamp(d.headers);
  const outcome = await d.forward({
    cluster: decision.cluster,
    candidates,
    retries: decision.retries ?? 2,
    ...(decision.timeoutMs !== undefined ? { timeoutMs: decision.timeoutMs } : {}),
    responseEdits: decision.responseHeaders,
    attemptCount: true,
    stats: core.stats,
    rr: core.rr,
    pool: core.pool,
  });
  core.log(
    d,
    {
      startMs,
      configEpoch: frame.epoch,
      endMs: Date.now(),
      status: outcome.status,
      flags: [...priorFlags, ...outcome.flags],
      ...base,
      ...(outcome.upstreamHost !== undefined ? { upstreamHost: outcome.upstreamHost } : {}),
      ...(outcome.grpcStatus !== undefined ? { grpcStatus: outcome.grpcStatus } : {}),
      ...peerOf(candidates, outcome.upstreamHost, decision.cluster),
    },
    direction,
  );
}

/** The endpoint that answered, as Istio's metrics name it; its namespace is its service's. */
function peerOf(
  candidates: readonly UpstreamEndpoint[],
  address: string | undefined,
  cluster: string,
): { peer?: WorkloadIdentity } {
  const ep = address === undefined ? undefined : candidates.find((c) => c.address === address);
  if (ep === undefined) return {};
  // `outbound|<port>|<subset>|<name>.<namespace>.svc.cluster.local`
  const namespace = cluster.split("|")[3]?.split(".")[1] ?? "unknown";
  return { peer: { workload: workloadOf(ep.labels), namespace, labels: ep.labels } };
}
