/**
 * The local control plane's endpoint discovery in cluster mode: informers on one namespace's
 * Services, EndpointSlices (discovery.k8s.io/v1) and Pods, joined by `endpointsOf` into the
 * config store's Endpoint records, whose watch pushes them to the proxies with their delays.
 * A pod reaches the proxies only once an EndpointSlice lists it, and leaves their healthy hosts
 * once the EndpointSlice controller marks it not ready (at its deletionTimestamp). The mirror
 * owns every Endpoint record of its namespace: use it with a mesh whose `endpoints` are
 * `external`, so no instance writes its own.
 */
import {
  CoreV1Api,
  DiscoveryV1Api,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1EndpointSlice,
  type V1Pod,
  type V1Service,
} from "@kubernetes/client-node";
import { endpointsOf } from "./endpoint-slices.js";
import { removeEndpoint, upsertEndpoint } from "./endpoints.js";
import { startMirrorInformer, type MirrorInformer } from "./mirror-informer.js";
import type { ConfigStore } from "./types.js";

/** Options of {@link mirrorEndpointsFromApiServer}. */
export interface EndpointSliceSourceOptions {
  /** The mesh's namespace: the one whose Services become its endpoints. */
  readonly namespace: string;
  /** The loopback address behind a pod IP (the node agent's `addressOf`). */
  readonly addressOf: (podIp: string) => string | undefined;
  /** Called with a failed watch or write, and with a pod two Services list. */
  readonly onError?: (err: unknown, what: string) => void;
  /** Pause before an informer starts again after an error (default 1 s). */
  readonly restartMs?: number;
  /** The informers' resync period (default 30 s, see mirror-informer.ts). */
  readonly resyncMs?: number;
}

/**
 * Mirrors `namespace`'s EndpointSlices into `store` as Endpoint records; resolves once the
 * three lists are in and the store holds what they say.
 */
export async function mirrorEndpointsFromApiServer(
  kc: KubeConfig,
  store: ConfigStore,
  options: EndpointSliceSourceOptions,
): Promise<{ stop(): Promise<void> }> {
  const { namespace } = options;
  const core = kc.makeApiClient(CoreV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const report = options.onError ?? (() => undefined);
  // Set once all three informers run; events before that wait for the first sync.
  const the: {
    sources?: {
      services: MirrorInformer<V1Service>;
      slices: MirrorInformer<V1EndpointSlice>;
      pods: MirrorInformer<V1Pod>;
    };
  } = {};
  let reported = new Set<string>();
  let scheduled: NodeJS.Immediate | undefined;
  let stopped = false;

  const sync = (): void => {
    scheduled = undefined;
    const sources = the.sources;
    if (stopped || sources === undefined) return;
    const { endpoints, conflicts } = endpointsOf({
      services: sources.services.list(namespace),
      slices: sources.slices.list(namespace),
      pods: sources.pods.list(namespace),
      addressOf: options.addressOf,
    });
    for (const c of conflicts) if (!reported.has(c)) report(new Error(c), `endpoints of ${namespace}`);
    reported = new Set(conflicts);
    const wanted = new Set(endpoints.map((e) => e.pod));
    try {
      for (const rec of store.list("Endpoint", namespace))
        if (!wanted.has(rec.metadata.name)) removeEndpoint(store, rec.metadata.name, namespace);
      // An unchanged record is a no-op write: no new epoch, no push.
      for (const ep of endpoints) upsertEndpoint(store, ep, namespace);
    } catch (err) {
      report(err, `writing the endpoints of ${namespace}`);
    }
  };
  // Events come in bursts (a slice and its pods change together): one sync per burst.
  const schedule = (): void => {
    scheduled ??= setImmediate(sync);
  };

  const start = <T extends KubernetesObject>(
    what: string,
    path: string,
    list: () => Promise<KubernetesListObject<T>>,
  ): Promise<MirrorInformer<T>> =>
    startMirrorInformer<T>({
      kc,
      path,
      list,
      what,
      onAdd: schedule,
      onUpdate: schedule,
      onDelete: schedule,
      onError: report,
      ...(options.restartMs !== undefined ? { restartMs: options.restartMs } : {}),
      ...(options.resyncMs !== undefined ? { resyncMs: options.resyncMs } : {}),
    });
  const [services, slices, pods] = await Promise.all([
    start<V1Service>("Service", `/api/v1/namespaces/${namespace}/services`, () =>
      core.listNamespacedService({ namespace }),
    ),
    start<V1EndpointSlice>(
      "EndpointSlice",
      `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`,
      () => discovery.listNamespacedEndpointSlice({ namespace }),
    ),
    start<V1Pod>("Pod", `/api/v1/namespaces/${namespace}/pods`, () => core.listNamespacedPod({ namespace })),
  ]);
  the.sources = { services, slices, pods };
  sync();
  return {
    stop: async () => {
      stopped = true;
      if (scheduled !== undefined) clearImmediate(scheduled);
      await Promise.all([services.stop(), slices.stop(), pods.stop()]);
    },
  };
}
