/**
 * G3 on the cluster, graded from outside the controller: when a version's Deployment is asked
 * to stop (its replicas set to 0, or the Deployment deleted), seen through a watch on the API
 * server, against the last request that version's own instances served (their `lastServedAt`,
 * sampled until the last one is gone).
 */
import { AppsV1Api, makeInformer, type KubeConfig, type V1Deployment } from "@kubernetes/client-node";
import type { MeshHandle } from "../../../istio/local-mesh/runtime/mesh-runtime.js";
import type { Removal } from "../../../controller/local/mesh-workloads.js";

/** Records every removal of a version in `namespace`. */
export interface RemovalRecorder {
  removals(): readonly Removal[];
  stop(): Promise<void>;
}

/** Starts watching the namespace's Deployments and sampling the mesh's instances. */
export async function recordRemovals(
  kc: KubeConfig,
  namespace: string,
  mesh: Pick<MeshHandle, "instances">,
): Promise<RemovalRecorder> {
  const apps = kc.makeApiClient(AppsV1Api);
  const done: Removal[] = [];
  const open = new Map<
    string,
    { service: string; version: string; requestedAt: number; lastServedAt: number | null }
  >();
  const begin = (d: V1Deployment): void => {
    const service = d.spec?.template.metadata?.labels?.["app"];
    const version = d.spec?.template.metadata?.labels?.["version"];
    if (service === undefined || version === undefined) return;
    const key = `${service}@${version}`;
    if (open.has(key) || done.some((r) => r.service === service && r.version === version)) return;
    open.set(key, { service, version, requestedAt: Date.now(), lastServedAt: null });
  };
  const informer = makeInformer(kc, `/apis/apps/v1/namespaces/${namespace}/deployments`, () =>
    apps.listNamespacedDeployment({ namespace }),
  );
  informer.on("update", (d) => {
    if (d.spec?.replicas === 0) begin(d);
  });
  informer.on("delete", begin);
  await informer.start();
  const sample = setInterval(() => {
    const instances = mesh.instances();
    for (const [key, r] of open) {
      const mine = instances.filter((i) => i.service === r.service && i.version === r.version);
      for (const i of mine)
        if (i.lastServedAt !== null) r.lastServedAt = Math.max(r.lastServedAt ?? 0, i.lastServedAt);
      if (mine.length === 0) {
        open.delete(key);
        done.push({ ...r, stoppedAt: Date.now() });
      }
    }
  }, 10);
  return {
    removals: () => done,
    stop: async () => {
      clearInterval(sample);
      await informer.stop();
    },
  };
}
