/**
 * The checked-in logistics.yaml agrees with the topology it is made from: the same services,
 * ports and protocols as the in-process demo, one Deployment per service with as many pods as
 * that demo starts, the default routes `defaultRouting` makes, and the Gateway.
 */
import { readFile } from "node:fs/promises";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { defaultRouting } from "../../istio/local-mesh/runtime/default-routing.js";
import { LOGISTICS_TOPOLOGY } from "../../istio/local-mesh/runtime/main.js";
import { loadTopology, type Topology } from "../../istio/local-mesh/runtime/topology.js";
import {
  CLUSTER_LOGISTICS_TOPOLOGY,
  LOGISTICS_YAML,
  demoReplicas,
  logisticsManifests,
  type Manifest,
} from "./demo/logistics-manifests.js";

async function checkedIn(): Promise<Manifest[]> {
  return parseAllDocuments(await readFile(LOGISTICS_YAML, "utf8")).map((d) => d.toJS() as Manifest);
}

const withoutInstances = (t: Topology): Topology => ({
  ...t,
  services: t.services.map((s) => ({ ...s, versions: s.versions.map((v) => ({ ...v, instances: 0 })) })),
});

type Deployment = Manifest & {
  metadata: { name: string };
  spec: {
    replicas: number;
    template: {
      metadata: { labels: Record<string, string> };
      spec: { containers: { name: string; image: string }[] };
    };
  };
};

describe("the logistics app as YAML", () => {
  it("has the in-process demo's services, ports, upstreams and versions, without instances", async () => {
    const cluster = await loadTopology(CLUSTER_LOGISTICS_TOPOLOGY);
    expect(cluster).toEqual(withoutInstances(await loadTopology(LOGISTICS_TOPOLOGY)));
  });

  it("is exactly what logistics-manifests.ts makes from the topology (regenerate it if not)", async () => {
    const t = await loadTopology(CLUSTER_LOGISTICS_TOPOLOGY);
    expect(await checkedIn()).toEqual(logisticsManifests(t, await demoReplicas()));
  });

  it("gives each service a Service with a protocol-prefixed port and a Deployment of injected pods", async () => {
    const t = await loadTopology(CLUSTER_LOGISTICS_TOPOLOGY);
    const demo = await loadTopology(LOGISTICS_TOPOLOGY);
    const docs = await checkedIn();
    for (const s of t.services) {
      const svc = docs.find(
        (d) => d.kind === "Service" && (d.metadata as { name: string }).name === s.name,
      ) as (Manifest & { spec: { selector: object; ports: { name: string; port: number }[] } }) | undefined;
      expect(svc?.spec.selector).toEqual({ app: s.name });
      expect(svc?.spec.ports.map((p) => [p.name.split("-")[0], p.port])).toEqual([[s.protocol, s.port]]);
      const dep = docs.find(
        (d) => d.kind === "Deployment" && (d.metadata as { name: string }).name === `${s.name}-v1`,
      ) as Deployment | undefined;
      expect(dep?.spec.replicas).toBe(demo.services.find((d) => d.name === s.name)?.versions[0]?.instances);
      expect(dep?.spec.template.metadata.labels).toEqual({ app: s.name, version: "v1" });
      expect(dep?.spec.template.spec.containers.map((c) => c.name)).toEqual([
        s.name,
        "istio-proxy",
        "tranquil-trace-manager",
      ]);
      expect(dep?.spec.template.spec.containers[0]?.image).toBe(`tranquil/${s.name}:v1`);
    }
  });

  it("carries the default routes, the Gateway and the ingress VirtualService for logistics-api", async () => {
    const t = await loadTopology(CLUSTER_LOGISTICS_TOPOLOGY);
    const docs = await checkedIn();
    const routing = defaultRouting(t);
    const named = (kind: string) =>
      docs
        .filter((d) => d.kind === kind)
        .map((d) => (d.metadata as { name: string }).name)
        .sort();
    expect(named("DestinationRule")).toEqual(routing.destinationRules.map((d) => d.metadata.name).sort());
    expect(named("VirtualService")).toEqual(routing.virtualServices.map((v) => v.metadata.name).sort());
    for (const obj of [...routing.destinationRules, ...routing.virtualServices])
      expect(docs).toContainEqual(JSON.parse(JSON.stringify(obj)));
    const gateway = docs.find((d) => d.kind === "Gateway");
    expect(gateway).toMatchObject({
      metadata: { name: "tranquil-gateway", namespace: "default" },
      spec: { selector: { istio: "ingressgateway" } },
    });
    const ingress = routing.virtualServices.find((v) =>
      v.spec.gateways?.includes("default/tranquil-gateway"),
    );
    expect(ingress?.spec.http?.[0]?.route?.[0]?.destination.host).toBe("logistics-api");
  });
});
