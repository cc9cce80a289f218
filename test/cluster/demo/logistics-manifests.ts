/**
 * What a user applies to run the logistics sample system on a cluster, made from its topology:
 * per service a Service (a named port whose prefix gives Istio the protocol, an `app` selector)
 * and a Deployment `<service>-v1` whose pods carry the app, `istio-proxy` and
 * `tranquil-trace-manager` (as injection leaves them); the default DestinationRules and
 * VirtualServices (`defaultRouting`); the Gateway `tranquil-gateway` for Istio's ingress gateway.
 * `logistics.yaml` beside this file is the checked-in result, which a test compares with this.
 *
 * `npx tsx test/cluster/demo/logistics-manifests.ts > test/cluster/demo/logistics.yaml` writes it.
 */
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { defaultRouting } from "../../../istio/local-mesh/runtime/default-routing.js";
import { LOGISTICS_TOPOLOGY } from "../../../istio/local-mesh/runtime/main.js";
import { loadTopology, type ServiceSpec, type Topology } from "../../../istio/local-mesh/runtime/topology.js";

/** The cluster demo's topology (the in-process demo's services, no instances). */
export const CLUSTER_LOGISTICS_TOPOLOGY = fileURLToPath(
  new URL("./logistics.topology.yaml", import.meta.url),
);
/** The checked-in manifests. */
export const LOGISTICS_YAML = fileURLToPath(new URL("./logistics.yaml", import.meta.url));

/** The version the manifests deploy (the upgrade brings the next one). */
export const DEPLOYED_VERSION = "v1";

/** One manifest: a plain object as YAML holds it. */
export type Manifest = Record<string, unknown> & { apiVersion: string; kind: string };

function service(s: ServiceSpec, namespace: string): Manifest {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: s.name, namespace, labels: { app: s.name } },
    spec: {
      selector: { app: s.name },
      ports: [{ name: `${s.protocol}-${s.name}`, port: s.port, targetPort: s.port, protocol: "TCP" }],
    },
  };
}

function deployment(s: ServiceSpec, namespace: string, replicas: number): Manifest {
  const labels = { app: s.name, version: DEPLOYED_VERSION };
  const probe =
    s.protocol === "http" ? { httpGet: { path: "/healthz", port: s.port } } : { grpc: { port: s.port } };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: `${s.name}-${DEPLOYED_VERSION}`, namespace, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name: s.name,
              image: `tranquil/${s.name}:${DEPLOYED_VERSION}`,
              ports: [{ name: s.protocol, containerPort: s.port }],
              readinessProbe: { ...probe, periodSeconds: 2 },
            },
            { name: "istio-proxy", image: "docker.io/istio/proxyv2:1.28.0" },
            {
              name: "tranquil-trace-manager",
              image: "tranquil/trace-manager:local",
              env: [
                { name: "TM_ROLE", value: "sidecar" },
                { name: "TM_SERVICE", value: s.name },
                { name: "TM_VERSION", value: DEPLOYED_VERSION },
                { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
              ],
            },
          ],
        },
      },
    },
  };
}

/**
 * Every manifest, in the order a reader meets them: per service its Service and Deployment
 * (`replicas(service)` pods), then the DestinationRules, the VirtualServices, the Gateway and
 * the ingress VirtualService bound to it.
 */
export function logisticsManifests(t: Topology, replicas: (service: string) => number): Manifest[] {
  const routing = defaultRouting(t);
  const ingress = routing.virtualServices.filter((vs) => (vs.spec.gateways ?? []).length > 0);
  const mesh = routing.virtualServices.filter((vs) => !ingress.includes(vs));
  const plain = (o: object): Manifest => structuredClone(o) as Manifest;
  return [
    ...t.services.flatMap((s) => [service(s, t.namespace), deployment(s, t.namespace, replicas(s.name))]),
    ...routing.destinationRules.map(plain),
    ...mesh.map(plain),
    ...routing.gateways.map(plain),
    ...ingress.map(plain),
  ];
}

/** As many pods per service as the in-process demo starts of its first version. */
export async function demoReplicas(): Promise<(service: string) => number> {
  const demo = await loadTopology(LOGISTICS_TOPOLOGY);
  return (name) => demo.services.find((s) => s.name === name)?.versions[0]?.instances ?? 1;
}

/** The manifests as one YAML stream, with a comment before each part. */
export function toYaml(manifests: readonly Manifest[]): string {
  const header = [
    "# The logistics sample system, as a user applies it to the local cluster (or any cluster",
    "# with Istio and Tranquil): generated from logistics.topology.yaml by logistics-manifests.ts.",
    "# Each pod carries the app, istio-proxy and tranquil-trace-manager, as injection leaves them;",
    "# on the local cluster the node agent runs the app by its image and starts the sidecar and",
    "# the TraceManager in their place.",
  ];
  return (
    header.join("\n") +
    "\n" +
    manifests
      .map((m) => {
        const meta = m.metadata as { name: string };
        return `---\n# ${m.kind} ${meta.name}\n${stringify(m, { lineWidth: 0, aliasDuplicateObjects: false })}`;
      })
      .join("")
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const t = await loadTopology(CLUSTER_LOGISTICS_TOPOLOGY);
  process.stdout.write(toYaml(logisticsManifests(t, await demoReplicas())));
}
