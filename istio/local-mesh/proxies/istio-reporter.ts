/**
 * What a proxy's Istio stats extension does per request: stamp its own metadata on outgoing
 * requests (metadata exchange), and when a stream ends, count it in Istio's standard metrics
 * as the source (sidecar outbound, gateway) or the destination (sidecar inbound).
 */
import type { LoggedOutcome } from "./access-log-entry.js";
import {
  encodePeerMetadata,
  IstioMetrics,
  stampPeerMetadata,
  type WorkloadIdentity,
} from "./istio-metrics.js";
import type { HeaderBag } from "./header-edits.js";

/** Istio's workload name for pod labels: the Deployment `<app>-<version>` of this mesh's layout. */
export function workloadOf(labels: Readonly<Record<string, string>>): string {
  const app = labels.app;
  if (app === undefined) return "unknown";
  return labels.version === undefined ? app : `${app}-${labels.version}`;
}

/** The request facts the reporter reads besides the outcome. */
export interface ReportedRequest {
  readonly authority: string;
  readonly grpc: boolean;
}

/** One proxy's reporter of Istio's standard metrics. */
export class IstioReporter {
  /** The metrics `/stats/prometheus` renders. */
  readonly metrics = new IstioMetrics();

  /** The identity's header value, encoded once: every request a proxy sends carries it. */
  private readonly encoded: string;

  constructor(
    private readonly nodeId: string,
    /** The proxy's own workload. */
    readonly self: WorkloadIdentity,
    /** The FQDN of the service a sidecar serves (absent on a gateway). */
    private readonly service?: string,
  ) {
    this.encoded = encodePeerMetadata(self);
  }

  /** Metadata exchange: the proxy's identity on a request it sends upstream. */
  stamp(headers: HeaderBag): void {
    stampPeerMetadata(headers, this.nodeId, this.encoded);
  }

  /** Counts one ended stream; `inbound` reports as destination, anything else as source. */
  report(req: ReportedRequest, outcome: LoggedOutcome, inbound: boolean): void {
    const { host, known } = inbound
      ? { host: this.service ?? hostOf(req.authority), known: this.service !== undefined }
      : serviceOfCluster(outcome.upstreamCluster, req.authority);
    this.metrics.record({
      reporter: inbound ? "destination" : "source",
      ...(inbound
        ? { destination: this.self, ...(outcome.peer !== undefined ? { source: outcome.peer } : {}) }
        : { source: this.self, ...(outcome.peer !== undefined ? { destination: outcome.peer } : {}) }),
      destinationService: host,
      serviceKnown: known,
      grpc: req.grpc,
      status: outcome.status,
      flags: outcome.flags,
      ...(outcome.grpcStatus !== undefined ? { grpcStatus: outcome.grpcStatus.value } : {}),
      durationMs: Math.max(0, outcome.endMs - outcome.startMs),
    });
  }
}

/** `outbound|9080|v2|reviews.default.svc.cluster.local` → that FQDN; without a cluster, the authority's host. */
function serviceOfCluster(cluster: string | undefined, authority: string): { host: string; known: boolean } {
  const fqdn = cluster?.startsWith("outbound|") === true ? cluster.split("|")[3] : undefined;
  if (fqdn !== undefined && fqdn !== "") return { host: fqdn, known: fqdn.endsWith(".svc.cluster.local") };
  return { host: hostOf(authority), known: false };
}

function hostOf(authority: string): string {
  const i = authority.lastIndexOf(":");
  return (i > 0 && !authority.endsWith("]") ? authority.slice(0, i) : authority) || "unknown";
}
