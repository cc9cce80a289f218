import type { Downstream } from "./downstream.js";
import { applyOkResponse } from "./ext-authz-client.js";
import { flattenHeaders } from "./header-edits.js";
import { takePeerMetadata } from "./istio-metrics.js";
import { ensureRequestId, type ProxyCore } from "./proxy-core.js";
import type { UpstreamEndpoint } from "./route-port.js";
import { StatNames } from "./stats.js";

/** Where the inbound side sends requests: the app, as Istio's `inbound|<port>||` cluster. */
export interface InboundTarget {
  readonly cluster: string;
  readonly app: UpstreamEndpoint;
  readonly listenerPort: number;
  readonly statPrefix: string;
}

/** Istio's inbound cluster name for a service port. */
export function inboundCluster(port: number): string {
  return `inbound|${port}||`;
}

/**
 * Sidecar inbound: ext_authz Check with the instance's TraceManager before the app sees the
 * request (fail open on error or timeout), then forward to the app (no retries, as Istio's
 * inbound routes), then the inbound access log entry.
 */
export async function handleInbound(d: Downstream, core: ProxyCore, target: InboundTarget): Promise<void> {
  const active = StatNames.downstreamRqActive(target.statPrefix);
  core.stats.gaugeAdd(active, 1);
  core.stats.inc(StatNames.downstreamRqTotal(target.statPrefix));
  const startMs = Date.now();
  try {
    ensureRequestId(d);
    // Metadata exchange: who called, read and removed before any filter or the app sees it.
    const caller = takePeerMetadata(d.headers);
    const peer = caller !== undefined ? { peer: caller } : {};
    if (core.authz !== undefined) {
      const outcome = await core.authz.check(
        {
          method: d.method,
          path: d.path,
          host: d.authority,
          scheme: d.scheme,
          protocol: d.protocol,
          headers: flattenHeaders(d.headers),
          sourceAddress: d.remoteAddress,
          sourcePort: d.remotePort,
          destinationPort: target.listenerPort,
        },
        { statPrefix: target.statPrefix, cluster: target.cluster },
      );
      if (outcome.kind === "denied") {
        d.localReply(outcome.status, "");
        core.log(
          d,
          {
            startMs,
            endMs: Date.now(),
            status: outcome.status,
            flags: [],
            upstreamCluster: target.cluster,
            ...peer,
          },
          "inbound",
        );
        return;
      }
      if (outcome.kind === "ok") applyOkResponse(d.headers, outcome.headers, outcome.headersToRemove);
    }
    const result = await d.forward({
      cluster: target.cluster,
      candidates: [target.app],
      retries: 0,
      responseEdits: [],
      stats: core.stats,
      rr: core.rr,
      pool: core.pool,
    });
    core.log(
      d,
      {
        startMs,
        endMs: Date.now(),
        status: result.status,
        flags: result.flags,
        upstreamCluster: target.cluster,
        ...(result.upstreamHost !== undefined ? { upstreamHost: result.upstreamHost } : {}),
        ...(result.grpcStatus !== undefined ? { grpcStatus: result.grpcStatus } : {}),
        ...peer,
      },
      "inbound",
    );
  } catch (err) {
    core.failed(d, err, "inbound");
  } finally {
    core.stats.gaugeAdd(active, -1);
  }
}
