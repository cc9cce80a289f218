/** Istio's protocol selection for Service ports (pure). */
import type { V1ServicePort } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { istioPortProtocol, tcpPorts, unproxiedPorts } from "./istio-protocol.js";

describe("istioPortProtocol", () => {
  it.each<[V1ServicePort, string]>([
    [{ port: 80, name: "http" }, "http"],
    [{ port: 80, name: "http-web" }, "http"],
    [{ port: 80, name: "HTTP2-api" }, "http2"],
    [{ port: 50051, name: "grpc" }, "grpc"],
    [{ port: 8080, name: "grpc-web" }, "grpc-web"],
    [{ port: 8080, name: "grpc-web-ui" }, "grpc-web"],
    [{ port: 5432, name: "tcp" }, "tcp"],
    [{ port: 5432, name: "tcp-postgres" }, "tcp"],
    [{ port: 443, name: "tls-edge" }, "tls"],
    [{ port: 443, name: "https" }, "https"],
    [{ port: 27018, name: "mongo-shard" }, "mongo"],
    [{ port: 6379, name: "redis" }, "redis"],
    // appProtocol wins over the name, whatever the name says.
    [{ port: 9000, name: "http-x", appProtocol: "tcp" }, "tcp"],
    [{ port: 9000, name: "tcp-x", appProtocol: "http" }, "http"],
    [{ port: 9000, name: "tcp", appProtocol: "kubernetes.io/h2c" }, "http2"],
    [{ port: 9000, appProtocol: "kubernetes.io/ws" }, "http"],
    [{ port: 9000, appProtocol: "kubernetes.io/wss" }, "https"],
    // No known protocol: sniffed, except on the ports sniffing would break.
    [{ port: 8080, name: "web" }, "auto"],
    [{ port: 8080 }, "auto"],
    [{ port: 8080, name: "httpx" }, "auto"],
    [{ port: 3306, name: "db" }, "tcp"],
    [{ port: 27017 }, "tcp"],
    [{ port: 25, name: "mail" }, "tcp"],
    [{ port: 53, name: "dns", protocol: "UDP" }, "udp"],
    [{ port: 53, name: "dns-tcp" }, "tcp"],
    [{ port: 3306, name: "http-admin" }, "http"],
    [{ port: 9999, name: "http", protocol: "SCTP" }, "sctp"],
  ])("%j → %s", (port, expected) => {
    expect(istioPortProtocol(port)).toBe(expected);
  });

  it("lists the ports proxied as TCP and those not proxied at all", () => {
    const ports: V1ServicePort[] = [
      { port: 80, name: "http" },
      { port: 5432, name: "tcp-db" },
      { port: 443, name: "https" },
      { port: 53, name: "dns", protocol: "UDP" },
      { port: 8080 },
    ];
    expect(tcpPorts(ports)).toEqual([5432, 443]);
    expect(unproxiedPorts(ports)).toEqual([53]);
  });
});
