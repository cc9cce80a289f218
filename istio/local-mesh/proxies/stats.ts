/**
 * Envoy-shaped statistics of one proxy: named counters and gauges, rendered like Envoy's admin
 * `/stats` (text `name: value` lines, or `?format=json` as `{"stats":[{"name","value"}]}`).
 */
export class ProxyStats {
  private readonly counters = new Map<string, number>();
  private readonly gauges = new Map<string, number>();

  /** Adds `by` (default 1) to a counter, creating it at 0 first. */
  inc(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  /** Makes sure a counter exists (Envoy lists counters at 0 once the owning filter is configured). */
  declare(name: string): void {
    if (!this.counters.has(name)) this.counters.set(name, 0);
  }

  /** Adds `by` to a gauge (may be negative; a gauge never shows below 0). */
  gaugeAdd(name: string, by: number): void {
    this.gauges.set(name, Math.max(0, (this.gauges.get(name) ?? 0) + by));
  }

  /** The current value of a counter or gauge, 0 when unknown. */
  get(name: string): number {
    return this.counters.get(name) ?? this.gauges.get(name) ?? 0;
  }

  /** All stats sorted by name, as Envoy's admin lists them. */
  all(): { name: string; value: number }[] {
    const out = [...this.counters, ...this.gauges].map(([name, value]) => ({ name, value }));
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Envoy's text format: one `name: value` line per stat. */
  renderText(filter?: (name: string) => boolean): string {
    return this.all()
      .filter((s) => filter === undefined || filter(s.name))
      .map((s) => `${s.name}: ${s.value}\n`)
      .join("");
  }

  /** Envoy's `?format=json`: `{"stats":[{"name":…,"value":…}]}`. */
  renderJson(filter?: (name: string) => boolean): string {
    const stats = this.all().filter((s) => filter === undefined || filter(s.name));
    return JSON.stringify({ stats }, null, 1) + "\n";
  }
}

/** The ext_authz counters Envoy keeps. */
export type ExtAuthzCounterName = "ok" | "error" | "denied" | "failure_mode_allowed";

/** Istio's HTTP connection manager stat prefix of a listener: `inbound_0.0.0.0_<port>` / `outbound_0.0.0.0_<port>`. */
export function statPrefix(direction: "inbound" | "outbound", port: number): string {
  return `${direction}_0.0.0.0_${port}`;
}

/** Stat names of DESIGN §3, built in one place so the admin reader and the proxies agree. */
export const StatNames = {
  /** The ext_authz filter's own scope, `http.<HCM stat prefix>.ext_authz.<what>`. */
  extAuthzHttp: (statPrefix: string, what: ExtAuthzCounterName) => `http.${statPrefix}.ext_authz.${what}`,
  /** The route target cluster's scope, `cluster.<cluster>.ext_authz.<what>` (only when a route matched). */
  extAuthzCluster: (cluster: string, what: ExtAuthzCounterName) => `cluster.${cluster}.ext_authz.${what}`,
  logsWritten: "access_logs.grpc_access_log.logs_written",
  logsDropped: "access_logs.grpc_access_log.logs_dropped",
  downstreamRqActive: (statPrefix: string) => `http.${statPrefix}.downstream_rq_active`,
  downstreamRqTotal: (statPrefix: string) => `http.${statPrefix}.downstream_rq_total`,
  upstreamRqActive: (cluster: string) => `cluster.${cluster}.upstream_rq_active`,
  upstreamRqPendingActive: (cluster: string) => `cluster.${cluster}.upstream_rq_pending_active`,
  upstreamRqRetry: (cluster: string) => `cluster.${cluster}.upstream_rq_retry`,
  upstreamRqTotal: (cluster: string) => `cluster.${cluster}.upstream_rq_total`,
  /** The fault filter's scope, `http.<HCM stat prefix>.fault.<what>`. */
  faultDelaysInjected: (statPrefix: string) => `http.${statPrefix}.fault.delays_injected`,
  faultAbortsInjected: (statPrefix: string) => `http.${statPrefix}.fault.aborts_injected`,
} as const;
