import type { Downstream } from "./downstream.js";
import { runFaultFilter } from "./fault-filter.js";
import { applyHeaderEdits, flattenHeaders } from "./header-edits.js";
import { forwardDecision } from "./forward-decision.js";
import { ensureRequestId, type ProxyCore } from "./proxy-core.js";
import type { ProxyConfigView } from "./route-port.js";
import { StatNames } from "./stats.js";

/**
 * Sidecar outbound: route by `:authority` with the proxy's own routing snapshot, run the route's
 * fault, then answer locally or forward.
 */
export async function handleOutbound(
  d: Downstream,
  core: ProxyCore,
  config: ProxyConfigView,
  statPrefix: string,
): Promise<void> {
  const active = StatNames.downstreamRqActive(statPrefix);
  core.stats.gaugeAdd(active, 1);
  core.stats.inc(StatNames.downstreamRqTotal(statPrefix));
  const startMs = Date.now();
  try {
    ensureRequestId(d);
    // The frame is taken once: this stream keeps this route and these endpoints to its end.
    const frame = config.routing();
    const decision = frame.decide({
      authority: d.authority,
      path: d.path,
      method: d.method,
      headers: flattenHeaders(d.headers),
      gateway: "mesh",
    });
    const routeName = decision.routeName !== undefined ? { routeName: decision.routeName } : {};
    const prior = await runFaultFilter(d, core, decision.fault, {
      statPrefix,
      direction: "outbound",
      logged: {
        startMs,
        configEpoch: frame.epoch,
        ...routeName,
        ...(decision.kind === "forward" ? { upstreamCluster: decision.cluster } : {}),
      },
    });
    if (prior === undefined) return;
    if (decision.kind === "local-reply") {
      const flags = decision.flag === "DR" ? [...prior] : [...prior, decision.flag];
      d.localReply(decision.status, decision.body ?? "");
      core.log(
        d,
        {
          startMs,
          configEpoch: frame.epoch,
          endMs: Date.now(),
          status: decision.status,
          flags,
          ...routeName,
        },
        "outbound",
      );
      return;
    }
    applyHeaderEdits(d.headers, decision.requestHeaders);
    if (decision.rewrittenPath !== undefined) d.path = decision.rewrittenPath;
    if (decision.rewrittenAuthority !== undefined) d.authority = decision.rewrittenAuthority;
    await forwardDecision(d, core, frame, decision, startMs, "outbound", prior);
  } catch (err) {
    core.failed(d, err, "outbound");
  } finally {
    core.stats.gaugeAdd(active, -1);
  }
}
