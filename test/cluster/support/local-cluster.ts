/**
 * The whole local cluster for a test: the real control plane with Istio's and the Upgrade CRDs,
 * the local mesh as its node (the node agent), and the local control plane reading routes
 * (VirtualServices, DestinationRules) and endpoints (Services, EndpointSlices, Pods) from the
 * API server only. Stop it in `afterAll`; a start that fails half-way stops what it started.
 */
import {
  KubernetesObjectApi,
  PatchStrategy,
  loadAllYaml,
  type KubeConfig,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { readFile } from "node:fs/promises";
import { mirrorFromApiServer } from "../../../istio/local-mesh/control-plane/api-server-source.js";
import { mirrorEndpointsFromApiServer } from "../../../istio/local-mesh/control-plane/endpoint-slice-source.js";
import type { MeshHandle, MeshOptions } from "../../../istio/local-mesh/runtime/mesh-runtime.js";
import { startNodeAgent, type NodeAgent } from "../node-agent/node-agent.js";
import { CLUSTER_TOPOLOGY, startNodeMesh } from "./cluster-test-kit.js";
import { startKubeTestEnv, type KubeTestEnv } from "./kube-test-env.js";

/** A running local cluster. */
export interface LocalCluster {
  readonly env: KubeTestEnv;
  readonly kc: KubeConfig;
  readonly mesh: MeshHandle;
  readonly agent: NodeAgent;
  /** What the node agent and the mirrors could not do, as `<what>: <message>`. */
  readonly errors: string[];
  stop(): Promise<void>;
}

/** Starts the control plane, the mesh on `topology`, the node agent and both mirrors. */
export async function startLocalCluster(
  options: { topology?: string; mesh?: MeshOptions } = {},
): Promise<LocalCluster> {
  const errors: string[] = [];
  const onError = (err: unknown, what: string): void => {
    errors.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  };
  const stops: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse())
      await s().catch((err: unknown) => onError(err, "stopping the local cluster"));
    stops.length = 0;
  };
  try {
    const env = await startKubeTestEnv();
    stops.push(() => env.stop());
    const mesh = await startNodeMesh(options.topology ?? CLUSTER_TOPOLOGY, options.mesh);
    stops.push(() => mesh.stop());
    const agent = await startNodeAgent({ kc: env.kc, mesh, heartbeatMs: 500, onError });
    stops.push(() => agent.stop());
    const routes = await mirrorFromApiServer(env.kc, mesh.configStore, { onError });
    stops.push(() => routes.stop());
    const endpoints = await mirrorEndpointsFromApiServer(env.kc, mesh.configStore, {
      namespace: mesh.topology.namespace,
      addressOf: (ip) => agent.addressOf(ip),
      onError,
    });
    stops.push(() => endpoints.stop());
    return { env, kc: env.kc, mesh, agent, errors, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Applies objects as `kubectl apply --server-side` does (created or updated, field manager
 * `tranquil-test`); each needs apiVersion, kind and metadata.name (Istio's builders' objects too).
 */
export async function applyObjects(kc: KubeConfig, objects: readonly object[]): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const obj of objects)
    await api.patch(obj, undefined, undefined, "tranquil-test", true, PatchStrategy.ServerSideApply);
}

/** Applies every object of a YAML file (loaded with client-node's loader, which keeps every key). */
export async function applyYamlFile(kc: KubeConfig, path: string): Promise<KubernetesObject[]> {
  const objects = loadAllYaml(await readFile(path, "utf8")) as KubernetesObject[];
  await applyObjects(kc, objects);
  return objects;
}
