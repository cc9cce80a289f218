/** Every pod ever created in a namespace, seen through a watch on the API server (G5: nothing created twice). */
import { CoreV1Api, makeInformer, type KubeConfig } from "@kubernetes/client-node";

/** The names of the pods created since it started. */
export interface PodLog {
  created(): readonly string[];
  stop(): Promise<void>;
}

/** Starts watching `namespace`'s pods. */
export async function logPods(kc: KubeConfig, namespace: string): Promise<PodLog> {
  const core = kc.makeApiClient(CoreV1Api);
  // By uid: a pod deleted and made again under the same name counts twice.
  const names = new Map<string, string>();
  const informer = makeInformer(kc, `/api/v1/namespaces/${namespace}/pods`, () =>
    core.listNamespacedPod({ namespace }),
  );
  informer.on("add", (p) => names.set(p.metadata?.uid ?? "", p.metadata?.name ?? ""));
  await informer.start();
  return {
    created: () => [...names.values()],
    stop: () => informer.stop(),
  };
}
