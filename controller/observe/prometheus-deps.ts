/**
 * How a controller's options become the observer's Prometheus providers: the install's (an
 * address, or a provider given whole), and one per address an upgrade names itself.
 */
import type { MetricsQuery } from "../ports/metrics-query.js";
import { prometheusProviders } from "./prometheus-client.js";
import type { TraceObserverDeps } from "./trace-observer.js";

/** The Prometheus options a controller takes. */
export interface PrometheusOptions {
  /** A provider given whole (tests); replaces `prometheusAddress`. */
  readonly metricsQuery?: MetricsQuery;
  /** The install's Prometheus, e.g. `http://prometheus.istio-system:9090`. */
  readonly prometheusAddress?: string;
  /** How long one Prometheus query may take, retries included (default 5 s). */
  readonly prometheusTimeoutMs?: number;
}

/** The observer's Prometheus dependencies for these options. */
export function prometheusDeps(
  options: PrometheusOptions,
): Pick<TraceObserverDeps, "metrics" | "metricsAt" | "metricsTimeoutMs"> {
  const providers = prometheusProviders();
  const metrics =
    options.metricsQuery ??
    (options.prometheusAddress !== undefined ? providers(options.prometheusAddress) : undefined);
  return {
    metricsAt: providers,
    ...(metrics !== undefined ? { metrics } : {}),
    ...(options.prometheusTimeoutMs !== undefined ? { metricsTimeoutMs: options.prometheusTimeoutMs } : {}),
  };
}
