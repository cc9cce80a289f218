/**
 * `kubectl port-forward svc/<name> <port>` on the local cluster: a TCP listener on 127.0.0.1
 * (a free port) whose connections go to a ready pod behind the Service, found through its
 * EndpointSlices and the node agent's pod-IP map. Stop it in `afterAll`.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import { DiscoveryV1Api, type KubeConfig, type V1Endpoint } from "@kubernetes/client-node";
import type { NodeAgent } from "../node-agent/node-agent.js";

/** A running forward. */
export interface PortForward {
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  /** The pod IP it forwards to. */
  readonly podIp: string;
  stop(): Promise<void>;
}

/** Forwards to the first ready endpoint of Service `namespace/name` on `port`. */
export async function portForwardService(
  kc: KubeConfig,
  agent: NodeAgent,
  service: { namespace: string; name: string; port: number },
): Promise<PortForward> {
  const slices = await kc.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({
    namespace: service.namespace,
    labelSelector: `kubernetes.io/service-name=${service.name}`,
  });
  const endpoints = slices.items.flatMap((s) => s.endpoints as (V1Endpoint | undefined)[]);
  const podIp = endpoints.find((e) => e?.conditions?.ready === true)?.addresses[0];
  if (podIp === undefined)
    throw new Error(`Service ${service.namespace}/${service.name} has no ready endpoint`);
  const host = agent.addressOf(podIp)?.split(":")[0];
  if (host === undefined) throw new Error(`the node runs no pod with IP ${podIp}`);
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect({ host, port: service.port });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once("close", () => sockets.delete(s));
      s.once("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    address: `127.0.0.1:${port}`,
    podIp,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
