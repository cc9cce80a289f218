/**
 * Everything a release engineer applies is accepted by a real API server (the local control
 * plane with Istio's CRDs, the Upgrade CRD, and the Prometheus Operator's and cert-manager's
 * CRDs for the chart's optional objects), by server-side apply with dry run: the chart rendered
 * with default and non-default values, the plain manifests, the samples under istio/ and
 * manifests/samples/. Broken objects are refused, so the check can fail.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  ApiException,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
  type V1CustomResourceDefinition,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEstablished } from "../cluster/control-plane/crds.js";
import { startKubeTestEnv, type KubeTestEnv } from "../cluster/support/kube-test-env.js";
import { thirdPartyCrds } from "../support/third-party-crds.js";
import { INSTALL_NAMESPACE, REPO, objectsOf, renderChart } from "./render-manifests.js";
import { sampleFiles } from "./sample-manifests.js";

const label = (o: KubernetesObject): string => `${o.kind} ${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;

describe("the install and the samples on a real API server", { timeout: 180_000 }, () => {
  let env: KubeTestEnv;
  let api: KubernetesObjectApi;

  /** `kubectl apply --server-side --dry-run=server` of one object. */
  const dryApply = async (o: KubernetesObject): Promise<void> => {
    // A CRD the API server just Established may answer 404 for a moment: try again briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        await api.patch(o, undefined, "All", "tranquil-tests", true, PatchStrategy.ServerSideApply);
        return;
      } catch (err) {
        if (err instanceof ApiException && err.code === 404 && attempt < 50) {
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        throw err;
      }
    }
  };
  const acceptsAll = async (objects: readonly KubernetesObject[]): Promise<void> => {
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) await expect(dryApply(o), label(o)).resolves.toBeUndefined();
  };

  beforeAll(async () => {
    env = await startKubeTestEnv();
    api = KubernetesObjectApi.makeApiClient(env.kc);
    await createEstablished(env.kc, (await thirdPartyCrds()) as V1CustomResourceDefinition[]);
    for (const ns of [INSTALL_NAMESPACE, "monitoring", "istio-system"]) await env.namespace(ns);
  }, 180_000);
  afterAll(async () => {
    await env?.stop();
  });

  it("accepts the chart rendered with default and non-default values, CRD included", async () => {
    for (const values of [[], ["-f", "production.yaml"], ["-f", "minimal.yaml"]]) {
      const args = values.map((v) =>
        v.endsWith(".yaml") ? join(import.meta.dirname, "chart-values", v) : v,
      );
      await acceptsAll(objectsOf(await renderChart(["--include-crds", ...args])));
    }
  });

  it("accepts the plain manifests (install.yaml) and the samples", async () => {
    await acceptsAll(objectsOf(await readFile(join(REPO, "manifests", "install.yaml"), "utf8")));
    const samples = await sampleFiles();
    // The namespace first, as kubectl apply -f of the folder does in file order.
    const workloads = objectsOf(samples.get("manifests/samples/logistics.yaml") ?? "");
    expect(workloads[0]?.kind).toBe("Namespace");
    await acceptsAll(workloads.slice(0, 1));
    await env.namespace("logistics");
    await acceptsAll(workloads.slice(1));
    for (const [path, content] of samples) {
      if (path !== "manifests/samples/logistics.yaml") await acceptsAll(objectsOf(content));
    }
  });

  it("refuses broken objects, naming the field", async () => {
    const rendered = objectsOf(await renderChart());
    const deployment = structuredClone(
      rendered.find((o) => o.kind === "Deployment" && o.metadata?.name === "tranquil-controller"),
    ) as KubernetesObject & {
      spec: { template: { spec: { containers: { ports: { containerPort: number }[] }[] } } };
    };
    deployment.spec.template.spec.containers[0]!.ports[0]!.containerPort = 70_000;
    await expect(dryApply(deployment)).rejects.toThrow(/containerPort/);
    const samples = await sampleFiles();
    await env.namespace("logistics");
    const upgrade = objectsOf(samples.get("manifests/samples/upgrades/auth-service-v2.yaml") ?? "")[0] as
      (KubernetesObject & { spec: { strategy: { steps: number[] } } }) | undefined;
    expect(upgrade).toBeDefined();
    upgrade!.spec.strategy.steps = [10, 150];
    await expect(dryApply(upgrade!)).rejects.toThrow(/steps/);
    const vs = objectsOf(samples.get("istio/samples/logistics-routing.yaml") ?? "").find(
      (o) => o.kind === "VirtualService",
    ) as (KubernetesObject & { spec: { http: { timeout?: string }[] } }) | undefined;
    vs!.spec.http[0]!.timeout = "5 seconds";
    await expect(dryApply(vs!)).rejects.toThrow(/timeout/);
  });
});
