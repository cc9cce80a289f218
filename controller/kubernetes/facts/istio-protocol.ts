/**
 * The protocol Istio gives a Service port, as its explicit protocol selection does: the
 * `appProtocol` when set, else the port name's prefix (`<protocol>[-<suffix>]`), case-insensitive;
 * `grpc-web` before the prefix rule; Kubernetes' standard `kubernetes.io/h2c`, `ws` and `wss`
 * application protocols; and, for a port with no known protocol, TCP on the ports protocol
 * sniffing would break (SMTP 25, DNS 53, MySQL 3306, MongoDB 27017), else automatic
 * detection (HTTP is detected and routed at L7).
 * Sidecars route only HTTP-family protocols at L7: `tcp`, `tls`, `https` (a sidecar does not
 * decrypt), `mongo`, `mysql` and `redis` get TCP proxying, so VirtualService `http` routes,
 * and with them Tranquil's clones, never apply. UDP and SCTP are not proxied at all.
 */
import type { V1ServicePort } from "@kubernetes/client-node";

/** A port's protocol as Istio selects it: a protocol name, `auto` (sniffed), or `udp`/`sctp` (not proxied). */
export type IstioPortProtocol = string;

const KNOWN = new Set([
  "http",
  "http2",
  "https",
  "tcp",
  "tls",
  "grpc",
  "grpc-web",
  "mongo",
  "mysql",
  "redis",
  "udp",
]);
const TCP_PROXIED = new Set(["tcp", "tls", "https", "mongo", "mysql", "redis"]);
const SNIFFING_UNSAFE_PORTS = new Set([25, 53, 3306, 27017]);
const KUBERNETES_APP_PROTOCOLS: Readonly<Record<string, string>> = {
  "kubernetes.io/h2c": "http2",
  "kubernetes.io/ws": "http",
  "kubernetes.io/wss": "https",
};

/** The protocol Istio selects for a Service port. */
export function istioPortProtocol(port: V1ServicePort): IstioPortProtocol {
  const transport = (port.protocol ?? "TCP").toUpperCase();
  if (transport === "UDP" || transport === "SCTP") return transport.toLowerCase();
  const name = (port.appProtocol ?? port.name ?? "").toLowerCase();
  const standard = KUBERNETES_APP_PROTOCOLS[name];
  if (standard !== undefined) return standard;
  if (name.startsWith("grpc-web")) return "grpc-web";
  const prefix = name.split("-")[0] ?? "";
  if (KNOWN.has(prefix)) return prefix;
  return SNIFFING_UNSAFE_PORTS.has(port.port) ? "tcp" : "auto";
}

/** The Service ports a sidecar proxies as TCP (no L7 routing). */
export function tcpPorts(ports: readonly V1ServicePort[]): number[] {
  return ports.filter((p) => TCP_PROXIED.has(istioPortProtocol(p))).map((p) => p.port);
}

/** The Service ports no proxy intercepts (UDP, SCTP): their traffic reaches every version directly. */
export function unproxiedPorts(ports: readonly V1ServicePort[]): number[] {
  return ports
    .filter((p) => {
      const protocol = istioPortProtocol(p);
      return protocol === "udp" || protocol === "sctp";
    })
    .map((p) => p.port);
}
