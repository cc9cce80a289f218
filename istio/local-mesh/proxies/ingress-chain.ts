import { randomUUID } from "node:crypto";
import type { GatewayProxy } from "../../routing/gateway-binding.js";
import type { Downstream } from "./downstream.js";
import { applyOkResponse } from "./ext-authz-client.js";
import { runFaultFilter } from "./fault-filter.js";
import { appendHeader, applyHeaderEdits, flattenHeaders } from "./header-edits.js";
import { forwardDecision } from "./forward-decision.js";
import type { ProxyCore } from "./proxy-core.js";
import type { ProxyConfigView, RouteDecision, RoutingFrame } from "./route-port.js";
import { StatNames } from "./stats.js";
import { injectTraceHeaders } from "./trace-headers.js";

/** Gateway settings. */
export interface IngressSettings {
  /** The gateway proxy's labels and server port, which Gateways bind routes to. */
  readonly gateway: GatewayProxy;
  readonly statPrefix: string;
  readonly listenerPort: number;
  /** Re-match the route after ext_authz changed headers (Istio ≥1.25 `clearRouteCache`). */
  readonly clearRouteCache: boolean;
  /** Trace sampling decision for new traces. */
  readonly sampled: boolean;
}

function decide(frame: RoutingFrame, d: Downstream, gateway: GatewayProxy): RouteDecision {
  return frame.decide({
    authority: d.authority,
    path: d.path,
    method: d.method,
    headers: flattenHeaders(d.headers),
    gateway: "",
    gatewayProxy: gateway,
  });
}

/**
 * Ingress gateway: a fresh `x-request-id` before any filter (edge behaviour, replacing a
 * client's value); gateway-role Check; ok_response headers; route re-match when route-cache
 * clearing is on; the route's fault; B3 and traceparent at the router; forward; access log
 * after completion.
 */
export async function handleIngress(
  d: Downstream,
  core: ProxyCore,
  config: ProxyConfigView,
  s: IngressSettings,
): Promise<void> {
  const active = StatNames.downstreamRqActive(s.statPrefix);
  core.stats.gaugeAdd(active, 1);
  core.stats.inc(StatNames.downstreamRqTotal(s.statPrefix));
  const startMs = Date.now();
  try {
    d.headers["x-request-id"] = randomUUID();
    // Edge proxy (`use_remote_address`): the client's address and scheme, as Envoy sets them.
    appendHeader(d.headers, "x-forwarded-for", d.remoteAddress);
    d.headers["x-forwarded-proto"] = d.scheme;
    d.headers["x-envoy-external-address"] = d.remoteAddress;
    const frame = config.routing();
    let decision = decide(frame, d, s.gateway);
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
          destinationPort: s.listenerPort,
        },
        { statPrefix: s.statPrefix, ...(decision.kind === "forward" ? { cluster: decision.cluster } : {}) },
      );
      if (outcome.kind === "denied") {
        d.localReply(outcome.status, "");
        core.log(
          d,
          { startMs, configEpoch: frame.epoch, endMs: Date.now(), status: outcome.status, flags: [] },
          "gateway",
        );
        return;
      }
      if (outcome.kind === "ok") {
        applyOkResponse(d.headers, outcome.headers, outcome.headersToRemove);
        // The filter cleared the route cache: the router matches again on the new headers.
        if (s.clearRouteCache) decision = decide(frame, d, s.gateway);
      }
    }
    const prior = await runFaultFilter(d, core, decision.fault, {
      statPrefix: s.statPrefix,
      direction: "gateway",
      logged: {
        startMs,
        configEpoch: frame.epoch,
        ...(decision.routeName !== undefined ? { routeName: decision.routeName } : {}),
        ...(decision.kind === "forward" ? { upstreamCluster: decision.cluster } : {}),
      },
    });
    if (prior === undefined) return;
    if (decision.kind === "local-reply") {
      d.localReply(decision.status, decision.body ?? "");
      const flags = decision.flag === "DR" ? [...prior] : [...prior, decision.flag];
      core.log(
        d,
        {
          startMs,
          endMs: Date.now(),
          status: decision.status,
          flags,
          ...(decision.routeName !== undefined ? { routeName: decision.routeName } : {}),
        },
        "gateway",
      );
      return;
    }
    applyHeaderEdits(d.headers, decision.requestHeaders);
    if (decision.rewrittenPath !== undefined) d.path = decision.rewrittenPath;
    if (decision.rewrittenAuthority !== undefined) d.authority = decision.rewrittenAuthority;
    injectTraceHeaders(d.headers, s.sampled);
    await forwardDecision(d, core, frame, decision, startMs, "gateway", prior);
  } catch (err) {
    core.failed(d, err, "gateway");
  } finally {
    core.stats.gaugeAdd(active, -1);
  }
}
