/**
 * Workloads as a user writes them for the local cluster (a Service, a Deployment whose pods carry
 * the injected `istio-proxy` and, when asked, `tranquil-trace-manager` containers), and what the
 * tests read back: pod readiness, and the hosts each proxy's Envoy-shaped `/clusters` lists.
 */
import type { V1Container, V1Deployment, V1Pod, V1Service } from "@kubernetes/client-node";

/** The containers injection adds beside the app. */
export function injectedContainers(traceManager: boolean): V1Container[] {
  return [
    { name: "istio-proxy", image: "docker.io/istio/proxyv2:1.28.0" },
    ...(traceManager ? [{ name: "tranquil-trace-manager", image: "tranquil/trace-manager:local" }] : []),
  ];
}

/** A Service selecting `app: <name>` on one named port (`<protocol>-<name>`). */
export function serviceOf(name: string, port: number, protocol: "http" | "grpc"): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "default", labels: { app: name } },
    spec: {
      selector: { app: name },
      ports: [{ name: `${protocol}-${name}`, port, targetPort: port, protocol: "TCP" }],
    },
  };
}

/** A Deployment `<service>-<version>` of `tranquil/<service>:<version>` with the injected containers. */
export function deploymentOf(
  service: string,
  version: string,
  options: { readonly replicas: number; readonly port: number; readonly traceManager?: boolean },
): V1Deployment {
  const labels = { app: service, version };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: `${service}-${version}`, namespace: "default", labels },
    spec: {
      replicas: options.replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: 10,
          containers: [
            {
              name: service,
              image: `tranquil/${service}:${version}`,
              ports: [{ containerPort: options.port }],
            },
            ...injectedContainers(options.traceManager ?? true),
          ],
        },
      },
    },
  };
}

/** Running with a Ready condition. */
export function isReady(p: V1Pod): boolean {
  return (
    p.status?.phase === "Running" &&
    (p.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True")
  );
}

/** One host of a proxy's cluster, as `/clusters?format=json` shows it. */
export interface ProxyHost {
  readonly address: string;
  readonly healthy: boolean;
}

/** The hosts of every cluster of one proxy, from its admin's `/clusters?format=json`. */
export async function proxyClusters(adminUrl: string): Promise<Map<string, ProxyHost[]>> {
  const res = await fetch(`${adminUrl}/clusters?format=json`);
  const body = (await res.json()) as {
    cluster_statuses: {
      name: string;
      host_statuses?: {
        address: { socket_address: { address: string; port_value: number } };
        health_status: { eds_health_status: string };
      }[];
    }[];
  };
  return new Map(
    body.cluster_statuses.map((c) => [
      c.name,
      (c.host_statuses ?? []).map((h) => ({
        address: `${h.address.socket_address.address}:${String(h.address.socket_address.port_value)}`,
        healthy: h.health_status.eds_health_status === "HEALTHY",
      })),
    ]),
  );
}
