/**
 * Istio's standard HTTP metrics of one proxy, as Istio's stats extension keeps them in Envoy:
 * `istio_requests_total` (counter) and `istio_request_duration_milliseconds` (histogram with
 * Envoy's default buckets), one series per distinct label set, rendered in Prometheus's text
 * format for the admin `/stats/prometheus`. See docs/istio-metrics.md for what is reproduced.
 */
import { Buffer } from "node:buffer";
import { headerValue, type HeaderBag } from "./header-edits.js";
import type { ResponseFlagName } from "./local-reply.js";

/** Envoy's default histogram bounds (ms), which Istio's request duration uses. */
export const ISTIO_DURATION_BUCKETS_MS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000,
  3600000,
] as const;

/** The label names, in the order Istio's sidecars print them on `/stats/prometheus`. */
export const ISTIO_LABELS = [
  "response_code",
  "reporter",
  "source_workload",
  "source_workload_namespace",
  "source_principal",
  "source_app",
  "source_version",
  "source_cluster",
  "destination_workload",
  "destination_workload_namespace",
  "destination_principal",
  "destination_app",
  "destination_version",
  "destination_service",
  "destination_service_name",
  "destination_service_namespace",
  "destination_cluster",
  "request_protocol",
  "response_flags",
  "grpc_response_status",
  "connection_security_policy",
  "source_canonical_service",
  "destination_canonical_service",
  "source_canonical_revision",
  "destination_canonical_revision",
] as const;

/** One label of Istio's standard metrics. */
export type IstioLabel = (typeof ISTIO_LABELS)[number];

/** Istio's placeholder for an attribute the proxy does not know. */
export const UNKNOWN = "unknown";

/** Istio's default cluster id (`CLUSTER_ID`) on a single-cluster install. */
export const DEFAULT_CLUSTER_ID = "Kubernetes";

/** A workload as metadata exchange describes it: the peer of a request. */
export interface WorkloadIdentity {
  /** The workload (Deployment) name, e.g. `reviews-v2`. */
  readonly workload: string;
  readonly namespace: string;
  /** Pod labels (`app`, `version`, `service.istio.io/canonical-*`). */
  readonly labels: Readonly<Record<string, string>>;
}

/** The request headers of Istio's HTTP metadata exchange. */
export const PeerHeaders = {
  id: "x-envoy-peer-metadata-id",
  metadata: "x-envoy-peer-metadata",
} as const;

/** The metadata-exchange header value of `self` (a proxy computes it once). */
export function encodePeerMetadata(self: WorkloadIdentity): string {
  return Buffer.from(
    JSON.stringify({ WORKLOAD_NAME: self.workload, NAMESPACE: self.namespace, LABELS: self.labels }),
  ).toString("base64");
}

/** Sets the metadata-exchange headers (`encoded` from {@link encodePeerMetadata}) on an outgoing request, replacing the caller's. */
export function stampPeerMetadata(headers: HeaderBag, nodeId: string, encoded: string): void {
  headers[PeerHeaders.id] = nodeId;
  headers[PeerHeaders.metadata] = encoded;
}

/** Reads and removes the metadata-exchange headers, as the inbound filter does before the app. */
export function takePeerMetadata(headers: HeaderBag): WorkloadIdentity | undefined {
  const raw = headerValue(headers, PeerHeaders.metadata);
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (lower === PeerHeaders.id || lower === PeerHeaders.metadata) Reflect.deleteProperty(headers, name);
  }
  if (raw === undefined) return undefined;
  try {
    const doc = JSON.parse(Buffer.from(raw, "base64").toString("utf8")) as Record<string, unknown>;
    const labels = doc.LABELS;
    if (typeof doc.WORKLOAD_NAME !== "string" || typeof doc.NAMESPACE !== "string") return undefined;
    return {
      workload: doc.WORKLOAD_NAME,
      namespace: doc.NAMESPACE,
      labels:
        typeof labels === "object" && labels !== null ? stringRecord(labels as Record<string, unknown>) : {},
    };
  } catch {
    return undefined;
  }
}

function stringRecord(o: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) if (typeof v === "string") out[k] = v;
  return out;
}

/** One request as the stats extension sees it when the stream ends. */
export interface RequestRecord {
  readonly reporter: "source" | "destination";
  /** Absent: a caller outside the mesh (reporter destination) or a local reply (reporter source). */
  readonly source?: WorkloadIdentity;
  readonly destination?: WorkloadIdentity;
  /** The service's host (`reviews.default.svc.cluster.local`), or the authority without a cluster. */
  readonly destinationService: string;
  /** True when the host is a cluster service (name and namespace come from it). */
  readonly serviceKnown: boolean;
  readonly grpc: boolean;
  /** HTTP status sent downstream; 0 when none was sent. */
  readonly status: number;
  readonly flags: readonly ResponseFlagName[];
  /** The `grpc-status` the caller saw, when it is a gRPC call. */
  readonly grpcStatus?: string;
  readonly durationMs: number;
}

interface Series {
  readonly labels: string;
  count: number;
  sum: number;
  readonly buckets: number[];
}

/** The standard metrics of one proxy. */
export class IstioMetrics {
  private readonly series = new Map<string, Series>();

  /** Counts one request in both metrics. */
  record(r: RequestRecord): void {
    const labels = renderLabels(labelsOf(r));
    let s = this.series.get(labels);
    if (s === undefined) {
      s = { labels, count: 0, sum: 0, buckets: ISTIO_DURATION_BUCKETS_MS.map(() => 0) };
      this.series.set(labels, s);
    }
    s.count++;
    s.sum += r.durationMs;
    ISTIO_DURATION_BUCKETS_MS.forEach((le, i) => {
      if (r.durationMs <= le) s.buckets[i] = (s.buckets[i] ?? 0) + 1;
    });
  }

  /** Prometheus's text exposition format (0.0.4), as Envoy's `/stats/prometheus` prints it. */
  renderPrometheus(): string {
    const all = [...this.series.values()];
    if (all.length === 0) return "";
    const lines = ["# TYPE istio_requests_total counter"];
    for (const s of all) lines.push(`istio_requests_total{${s.labels}} ${s.count}`);
    lines.push("# TYPE istio_request_duration_milliseconds histogram");
    for (const s of all) {
      ISTIO_DURATION_BUCKETS_MS.forEach((le, i) => {
        lines.push(`istio_request_duration_milliseconds_bucket{${s.labels},le="${le}"} ${s.buckets[i]}`);
      });
      lines.push(`istio_request_duration_milliseconds_bucket{${s.labels},le="+Inf"} ${s.count}`);
      lines.push(`istio_request_duration_milliseconds_sum{${s.labels}} ${s.sum}`);
      lines.push(`istio_request_duration_milliseconds_count{${s.labels}} ${s.count}`);
    }
    return lines.join("\n") + "\n";
  }
}

/** The label values of one request, by Istio's rules. */
export function labelsOf(r: RequestRecord): Record<IstioLabel, string> {
  const src = r.source;
  const dst = r.destination;
  const [svcName, svcNs] = r.serviceKnown
    ? splitService(r.destinationService)
    : [r.destinationService, UNKNOWN];
  return {
    response_code: String(r.status),
    reporter: r.reporter,
    source_workload: src?.workload ?? UNKNOWN,
    source_workload_namespace: src?.namespace ?? UNKNOWN,
    source_principal: UNKNOWN,
    source_app: src?.labels.app ?? UNKNOWN,
    source_version: src?.labels.version ?? UNKNOWN,
    source_cluster: src === undefined ? UNKNOWN : DEFAULT_CLUSTER_ID,
    destination_workload: dst?.workload ?? UNKNOWN,
    destination_workload_namespace: dst?.namespace ?? UNKNOWN,
    destination_principal: UNKNOWN,
    destination_app: dst?.labels.app ?? UNKNOWN,
    destination_version: dst?.labels.version ?? UNKNOWN,
    destination_service: r.destinationService,
    destination_service_name: svcName,
    destination_service_namespace: svcNs,
    destination_cluster: dst === undefined ? UNKNOWN : DEFAULT_CLUSTER_ID,
    request_protocol: r.grpc ? "grpc" : "http",
    response_flags: r.flags.length === 0 ? "-" : r.flags.join(","),
    grpc_response_status: r.grpc ? (r.grpcStatus ?? "") : "",
    // No mTLS in the local mesh: the server side sees plain text; the client side never knows.
    connection_security_policy: r.reporter === "destination" ? "none" : UNKNOWN,
    source_canonical_service: canonicalService(src),
    destination_canonical_service: canonicalService(dst),
    source_canonical_revision: canonicalRevision(src),
    destination_canonical_revision: canonicalRevision(dst),
  };
}

function canonicalService(w: WorkloadIdentity | undefined): string {
  if (w === undefined) return UNKNOWN;
  return w.labels["service.istio.io/canonical-name"] ?? w.labels.app ?? w.workload;
}

function canonicalRevision(w: WorkloadIdentity | undefined): string {
  if (w === undefined) return "latest";
  return w.labels["service.istio.io/canonical-revision"] ?? w.labels.version ?? "latest";
}

/** `reviews.default.svc.cluster.local` → [`reviews`, `default`]. */
function splitService(host: string): [string, string] {
  const [name, ns] = host.split(".");
  return [name ?? host, ns ?? UNKNOWN];
}

function renderLabels(labels: Record<IstioLabel, string>): string {
  return ISTIO_LABELS.map((k) => `${k}="${escapeLabel(labels[k])}"`).join(",");
}

/** Prometheus label escaping: backslash, double quote and newline. */
function escapeLabel(v: string): string {
  return v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}
