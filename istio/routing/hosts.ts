/** The Kubernetes cluster domain suffix of service FQDNs. */
export const CLUSTER_SUFFIX = ".svc.cluster.local";

/** Splits `host[:port]` (IPv6 in brackets too) into a lower-case host and an optional port. */
export function splitAuthority(authority: string): { host: string; port?: number } {
  const a = authority.trim().toLowerCase();
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(a);
  if (m === null) return { host: a };
  const host = m[1] ?? a;
  return m[2] === undefined ? { host } : { host, port: Number(m[2]) };
}

/**
 * Qualifies a host written in config (VirtualService hosts, destination hosts, DestinationRule
 * host) as Istio does for Kubernetes: a short name without dots is interpreted in the
 * namespace of the rule; a name with dots is taken literally.
 */
export function resolveShortname(host: string, namespace: string): string {
  const h = host.toLowerCase();
  if (h === "*" || h.includes(".")) return h;
  return `${h}.${namespace}${CLUSTER_SUFFIX}`;
}

/**
 * Expands a request's host the way the pod's DNS search path does (`svc`, `svc.ns`,
 * `svc.ns.svc` → `svc.ns.svc.cluster.local`); Istio lists these variants as domains of the
 * service's virtual host.
 */
export function expandRequestHost(host: string, namespace: string): string {
  const h = host.toLowerCase();
  if (h.endsWith(CLUSTER_SUFFIX)) return h;
  const labels = h.split(".");
  if (labels.length === 1) return `${h}.${namespace}${CLUSTER_SUFFIX}`;
  if (labels.length === 2) return `${h}${CLUSTER_SUFFIX}`;
  if (labels.length === 3 && labels[2] === "svc") return `${h}.cluster.local`;
  return h;
}

/** `reviews.default.svc.cluster.local` → `reviews`; other names are returned unchanged. */
export function shortName(fqdn: string): string {
  if (!fqdn.endsWith(CLUSTER_SUFFIX)) return fqdn;
  return fqdn.slice(0, fqdn.indexOf("."));
}

/** Namespace of a service FQDN, if it is one. */
export function namespaceOf(fqdn: string): string | undefined {
  if (!fqdn.endsWith(CLUSTER_SUFFIX)) return undefined;
  return fqdn.slice(0, -CLUSTER_SUFFIX.length).split(".")[1];
}

/** How specifically a (possibly wildcard) host pattern matches a name: undefined = no match. */
export function hostMatchRank(pattern: string, name: string): number | undefined {
  if (pattern === name) return Number.MAX_SAFE_INTEGER;
  if (pattern === "*") return 0;
  if (pattern.startsWith("*")) {
    // `*.example.com` and `*example.com` are suffix matches, as Envoy domain wildcards are.
    const suffix = pattern.slice(1);
    if (name.endsWith(suffix) && name.length > suffix.length) return suffix.length;
  }
  return undefined;
}
