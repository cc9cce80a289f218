/**
 * Reading Envoy subset cluster names (`outbound|<port>|<subset>|<host>`) for one service.
 */
import { resolveShortname } from "../../istio/routing/hosts.js";

/** The parts of an outbound cluster name, or undefined for any other cluster. */
export function parseOutboundCluster(
  name: string,
): { port: number; subset: string; host: string } | undefined {
  const parts = name.split("|");
  if (parts.length !== 4 || parts[0] !== "outbound") return undefined;
  const port = Number(parts[1]);
  const subset = parts[2] ?? "";
  const host = parts[3] ?? "";
  if (!Number.isInteger(port) || host === "") return undefined;
  return { port, subset, host };
}

/** True when `host` (short or FQDN) names `service` in `namespace`. */
export function sameHost(host: string, service: string, namespace: string): boolean {
  return resolveShortname(host, namespace) === resolveShortname(service, namespace);
}
