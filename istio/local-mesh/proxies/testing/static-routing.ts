import type {
  ProxyConfigView,
  RouteDecision,
  RouteRequest,
  RoutingFrame,
  UpstreamEndpoint,
} from "../route-port.js";

/** One host's route in a static routing table. */
export interface StaticRoute {
  readonly port: number;
  /** "" = every instance (no subset). */
  readonly subset: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The subset is missing from the DestinationRule (the route yields NC). */
  readonly missing?: boolean;
}

/**
 * A routing port stand-in for proxy tests: a fixed host → subset table and an endpoint list,
 * frozen per frame like a real snapshot. The routing evaluator itself is tested separately.
 */
export class StaticRouting implements ProxyConfigView {
  epoch = 1;
  readonly routes = new Map<string, StaticRoute>();
  endpoints: (UpstreamEndpoint & { service: string })[] = [];

  routing(): RoutingFrame {
    const routes = new Map(this.routes);
    const endpoints = [...this.endpoints];
    const epoch = this.epoch;
    return {
      epoch,
      decide: (req: RouteRequest): RouteDecision => {
        const host = req.authority.split(":")[0] ?? "";
        const r = routes.get(host);
        if (r === undefined) return { kind: "local-reply", status: 404, flag: "NR" };
        if (r.missing === true) return { kind: "local-reply", status: 503, flag: "NC" };
        return {
          kind: "forward",
          host,
          port: r.port,
          subset: r.subset,
          cluster: `outbound|${r.port}|${r.subset}|${host}.default.svc.cluster.local`,
          endpointLabels: r.labels,
          requestHeaders: [],
          responseHeaders: [{ set: { "x-route-epoch": String(epoch) } }],
          routeName: "test",
        };
      },
      endpoints: (host: string) => endpoints.filter((e) => e.service === host),
    };
  }
}
