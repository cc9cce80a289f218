/**
 * The informers the Deployment workloads read versions from, per watched namespace (or one set
 * for the whole cluster): Deployments, EndpointSlices, and the pods that carry both the `app`
 * and `version` labels (only those can be a version's endpoints).
 */
import {
  AppsV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1Deployment,
  type V1EndpointSlice,
  type V1Pod,
} from "@kubernetes/client-node";
import { startInformer, type Backoff, type ResourceInformer } from "../informer.js";
import { describeKubeError } from "../kube-errors.js";
import { APP_LABEL, VERSION_LABEL } from "./pod-conventions.js";

const DEPLOYMENTS = "deployments.apps";

/** What {@link startWorkloadCaches} needs. */
export interface WorkloadCachesOptions {
  readonly kc: KubeConfig;
  /** The namespaces to watch; the whole cluster when omitted. */
  readonly namespaces?: readonly string[];
  readonly backoff?: Backoff;
}

/** The caches of one namespace (or of the cluster). */
export interface NamespaceCaches {
  readonly deployments: ResourceInformer<V1Deployment>;
  readonly slices: ResourceInformer<V1EndpointSlice>;
  readonly pods: ResourceInformer<V1Pod>;
}

/** Every cache the workloads read. */
export interface WorkloadCaches {
  /** The watched namespaces (`*` for the whole cluster), for messages. */
  readonly namespaces: readonly string[];
  /** The caches that hold `namespace`, or undefined when it is not watched. */
  of(namespace: string): NamespaceCaches | undefined;
  /** An informer's last error, while it reconnects. */
  lastError(): Error | undefined;
  stop(): Promise<void>;
}

/** Starts every informer and resolves once each has listed; on a failure, stops the others. */
export async function startWorkloadCaches(options: WorkloadCachesOptions): Promise<WorkloadCaches> {
  const scopes: (string | undefined)[] =
    options.namespaces === undefined ? [undefined] : [...options.namespaces];
  const started: ResourceInformer<KubernetesObject>[] = [];
  const track = async <T extends KubernetesObject>(
    p: Promise<ResourceInformer<T>>,
  ): Promise<ResourceInformer<T>> => {
    const informer = await p;
    started.push(informer);
    return informer;
  };
  let entries: [string | undefined, NamespaceCaches][];
  try {
    entries = await Promise.all(
      scopes.map(async (ns): Promise<[string | undefined, NamespaceCaches]> => {
        const [deployments, slices, pods] = await Promise.all([
          track(deploymentInformer(options, ns)),
          track(sliceInformer(options, ns)),
          track(podInformer(options, ns)),
        ]);
        return [ns, { deployments, slices, pods }];
      }),
    );
  } catch (err) {
    await Promise.all(started.map((i) => i.stop()));
    throw err;
  }
  const byScope = new Map(entries);
  const all = [...byScope.values()];
  return {
    namespaces: scopes.map((ns) => ns ?? "*"),
    of: (namespace) => byScope.get(undefined) ?? byScope.get(namespace),
    lastError: () => {
      for (const c of all) {
        const err = c.deployments.lastError() ?? c.slices.lastError() ?? c.pods.lastError();
        if (err !== undefined) return err;
      }
      return undefined;
    },
    stop: async () => {
      await Promise.all(all.flatMap((c) => [c.deployments.stop(), c.slices.stop(), c.pods.stop()]));
    },
  };
}

function deploymentInformer(o: WorkloadCachesOptions, ns: string | undefined) {
  const apps = o.kc.makeApiClient(AppsV1Api);
  return startWith<V1Deployment>(
    o,
    ns === undefined ? "/apis/apps/v1/deployments" : `/apis/apps/v1/namespaces/${ns}/deployments`,
    () =>
      ns === undefined
        ? apps.listDeploymentForAllNamespaces()
        : apps.listNamespacedDeployment({ namespace: ns }),
    DEPLOYMENTS,
    ns,
  );
}

function sliceInformer(o: WorkloadCachesOptions, ns: string | undefined) {
  const discovery = o.kc.makeApiClient(DiscoveryV1Api);
  return startWith<V1EndpointSlice>(
    o,
    ns === undefined
      ? "/apis/discovery.k8s.io/v1/endpointslices"
      : `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`,
    () =>
      ns === undefined
        ? discovery.listEndpointSliceForAllNamespaces()
        : discovery.listNamespacedEndpointSlice({ namespace: ns }),
    "endpointslices.discovery.k8s.io",
    ns,
  );
}

/** Only pods with both labels can be a version's endpoints. */
const VERSIONED = `${APP_LABEL},${VERSION_LABEL}`;

function podInformer(o: WorkloadCachesOptions, ns: string | undefined) {
  const core = o.kc.makeApiClient(CoreV1Api);
  return startWith<V1Pod>(
    o,
    ns === undefined ? "/api/v1/pods" : `/api/v1/namespaces/${ns}/pods`,
    () =>
      ns === undefined
        ? core.listPodForAllNamespaces({ labelSelector: VERSIONED })
        : core.listNamespacedPod({ namespace: ns, labelSelector: VERSIONED }),
    "pods",
    ns,
    VERSIONED,
  );
}

async function startWith<T extends KubernetesObject>(
  o: WorkloadCachesOptions,
  path: string,
  list: () => Promise<KubernetesListObject<T>>,
  resource: string,
  namespace: string | undefined,
  labelSelector?: string,
): Promise<ResourceInformer<T>> {
  try {
    return await startInformer<T>({
      kc: o.kc,
      path,
      list,
      ...(labelSelector !== undefined ? { labelSelector } : {}),
      ...(o.backoff !== undefined ? { backoff: o.backoff } : {}),
    });
  } catch (err) {
    throw describeKubeError(err, {
      verb: "list",
      resource,
      ...(namespace !== undefined ? { namespace } : {}),
    });
  }
}
