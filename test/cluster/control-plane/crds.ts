/**
 * Installing the CRDs a test cluster needs: Istio's (`../shared/istio/crd-all.gen.yaml`, the
 * schema source of truth) and Tranquil's Upgrade (generated into manifests/crd), each waited
 * for until the API server reports it Established.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  ApiextensionsV1Api,
  ApiException,
  loadAllYaml,
  type KubeConfig,
  type V1CustomResourceDefinition,
} from "@kubernetes/client-node";
import { SHARED_CRD_PATH } from "../../../istio/schema/extract.js";

const REPO = join(import.meta.dirname, "..", "..", "..");
const UPGRADE_CRD = join(REPO, "manifests", "crd", "upgrades.tranquil.dev.yaml");

/**
 * The CRDs in a YAML file, as the client's typed models: the client serializes by model, so a
 * plain object would lose the `x-kubernetes-*` keys (the model names them `xKubernetes…`).
 */
async function load(path: string): Promise<V1CustomResourceDefinition[]> {
  return (loadAllYaml(await readFile(path, "utf8")) as ({ kind?: string } | null)[]).filter(
    (d): d is V1CustomResourceDefinition => d?.kind === "CustomResourceDefinition",
  );
}

/** Creates Istio's CRDs and the Upgrade CRD (an existing one is kept) and waits until all are Established. */
export async function installCrds(kc: KubeConfig, timeoutMs = 60_000): Promise<readonly string[]> {
  return createEstablished(kc, [...(await load(SHARED_CRD_PATH)), ...(await load(UPGRADE_CRD))], timeoutMs);
}

/** Creates each CRD (an existing one is kept) and waits until all are Established; returns their names. */
export async function createEstablished(
  kc: KubeConfig,
  crds: readonly V1CustomResourceDefinition[],
  timeoutMs = 60_000,
): Promise<readonly string[]> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  for (const body of crds) {
    try {
      await api.createCustomResourceDefinition({ body });
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 409)) throw err;
    }
  }
  const names = crds.map((c) => c.metadata?.name ?? "");
  const deadline = Date.now() + timeoutMs;
  for (const name of names) {
    for (;;) {
      const crd = await api.readCustomResourceDefinition({ name });
      if (crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} was not Established within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return names;
}
