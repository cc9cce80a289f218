/**
 * The samples (istio/samples/, manifests/samples/) are what sample-manifests.ts makes from the
 * logistics topology, route everything to v1 with the version header, carry only the app
 * container, and hold Upgrades the controller's own validation accepts. The API server's
 * acceptance is tested in install-dry-run.test.ts.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { KubernetesObject } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { validateUpgradeSpec } from "../../controller/upgrade-spec/validate.js";
import { REPO, objectsOf as parse } from "./render-manifests.js";
import { SAMPLES_NAMESPACE, VERSION_HEADER, sampleFiles } from "./sample-manifests.js";

type Obj = KubernetesObject & { spec?: Record<string, unknown> };
const objectsOf = (yaml: string): Obj[] => parse(yaml);

describe("the samples", () => {
  it("are up to date with the topology (npx tsx test/manifests/sample-manifests.ts)", async () => {
    for (const [path, content] of await sampleFiles()) {
      expect((await readFile(join(REPO, path), "utf8")) === content, `${path} is out of date`).toBe(true);
    }
  });

  it("route every service to v1, each destination naming its version in the response header", async () => {
    const routing = objectsOf((await sampleFiles()).get("istio/samples/logistics-routing.yaml") ?? "");
    const services = routing.filter((o) => o.kind === "DestinationRule").map((o) => o.spec?.["host"]);
    expect(services).toEqual([
      "logistics-api",
      "auth-service",
      "order-service",
      "item-service",
      "station-service",
    ]);
    for (const vs of routing.filter((o) => o.kind === "VirtualService")) {
      const http = vs.spec?.["http"] as { route: { destination: { subset: string }; headers: unknown }[] }[];
      for (const d of http.flatMap((r) => r.route)) {
        expect(d.destination.subset, vs.metadata?.name).toBe("v1");
        expect(d.headers).toEqual({ response: { set: { [VERSION_HEADER]: "v1" } } });
      }
    }
    expect(routing.filter((o) => o.kind === "Gateway")).toHaveLength(1);
  });

  it("deploy only the app container in a namespace labelled for both injections, with an HPA", async () => {
    const workloads = objectsOf((await sampleFiles()).get("manifests/samples/logistics.yaml") ?? "");
    expect(workloads[0]).toMatchObject({
      kind: "Namespace",
      metadata: {
        name: SAMPLES_NAMESPACE,
        labels: { "istio-injection": "enabled", "tranquil.dev/inject": "enabled" },
      },
    });
    const deployments = workloads.filter((o) => o.kind === "Deployment");
    expect(deployments).toHaveLength(5);
    for (const d of deployments) {
      const containers = (d.spec?.["template"] as { spec: { containers: { name: string }[] } }).spec
        .containers;
      expect(containers.map((c) => c.name)).toEqual([d.metadata?.name?.replace(/-v1$/, "")]);
    }
    const hpa = workloads.find((o) => o.kind === "HorizontalPodAutoscaler");
    const target = (hpa?.spec?.["scaleTargetRef"] as { name: string }).name;
    expect(deployments.map((d) => d.metadata?.name)).toContain(target);
  });

  it("hold Upgrades the controller accepts: one service, a release train, Prometheus analysis", async () => {
    const files = [...(await sampleFiles()).entries()].filter(([p]) =>
      p.startsWith("manifests/samples/upgrades/"),
    );
    expect(files.map(([p]) => p.split("/").pop()).sort()).toEqual([
      "auth-service-v2.yaml",
      "release-train.yaml",
      "with-prometheus.yaml",
    ]);
    for (const [path, content] of files) {
      const [upgrade] = objectsOf(content);
      expect(upgrade?.kind).toBe("Upgrade");
      const result = validateUpgradeSpec(upgrade?.spec);
      expect(result, `${path}: ${JSON.stringify(result)}`).toMatchObject({ ok: true });
    }
  });
});
