/** An Istio cluster name as it appears in `AccessLogCommon.upstream_cluster`. */
export type ClusterName =
  | { readonly direction: "inbound"; readonly port: string }
  | { readonly direction: "outbound"; readonly port: string; readonly subset: string; readonly host: string };

/**
 * Parses `inbound|<port>|<name>|<host>` (Istio writes `inbound|8080||`) and
 * `outbound|<port>|<subset>|<host>`; null for anything else (BlackHoleCluster, PassthroughCluster, "").
 */
export function parseClusterName(raw: string | undefined): ClusterName | null {
  if (raw === undefined) return null;
  const parts = raw.split("|");
  if (parts.length !== 4) return null;
  const [direction, port = "", subset = "", host = ""] = parts;
  if (direction === "inbound") return { direction, port };
  if (direction === "outbound" && host !== "") return { direction, port, subset, host };
  return null;
}
