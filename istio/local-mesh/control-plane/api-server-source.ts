/**
 * The local control plane in cluster mode reads its routing from the API server, as istiod
 * does: informers (list + watch, started again after an error, which relists) on
 * VirtualServices, DestinationRules, Gateways and ServiceEntries mirror every object into the
 * config store, whose own watch then pushes it to the proxies with their delays and worker lag.
 * The config store is a cache here: it keeps its own resourceVersions, and nothing but the API
 * server writes it. Endpoints come from Services, EndpointSlices and Pods
 * (`endpoint-slice-source.ts`).
 */
import {
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from "@kubernetes/client-node";
import type { IstioObject } from "../../api/types.js";
import { startMirrorInformer } from "./mirror-informer.js";
import type { ConfigStore } from "./types.js";

/** Options of {@link mirrorFromApiServer}. */
export interface ApiServerSourceOptions {
  /** Called with a failed watch or write; the informer starts again after `restartMs`. */
  readonly onError?: (err: unknown, what: string) => void;
  readonly restartMs?: number;
  /** The informers' resync period (default 30 s, see mirror-informer.ts). */
  readonly resyncMs?: number;
}

type RoutingKind = IstioObject["kind"];
const PLURAL: Record<RoutingKind, string> = {
  VirtualService: "virtualservices",
  DestinationRule: "destinationrules",
  Gateway: "gateways",
  ServiceEntry: "serviceentries",
};

/** Only what the config store keeps of an API server object: the API server's bookkeeping stays there. */
function mirrored<T extends IstioObject>(obj: T): T {
  const { name, namespace, labels, annotations } = obj.metadata;
  return {
    ...obj,
    metadata: {
      name,
      namespace,
      ...(labels !== undefined ? { labels } : {}),
      ...(annotations !== undefined ? { annotations } : {}),
    },
  };
}

function apply(store: ConfigStore, kind: RoutingKind, obj: IstioObject): void {
  const { namespace, name } = obj.metadata;
  const current = store.get(kind, namespace, name);
  const next = mirrored(obj);
  const rv = current?.metadata.resourceVersion;
  // The store ignores an update that changes nothing, so a resync of an unchanged object is free.
  if (current === undefined || rv === undefined) store.create(next);
  else store.update({ ...next, metadata: { ...next.metadata, resourceVersion: rv } });
}

/** Mirrors the API server's Istio networking objects into `store`; resolves once every list is in. */
export async function mirrorFromApiServer(
  kc: KubeConfig,
  store: ConfigStore,
  options: ApiServerSourceOptions = {},
): Promise<{ stop(): Promise<void> }> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const report = options.onError ?? (() => undefined);
  const informers = await Promise.all(
    (["VirtualService", "DestinationRule", "Gateway", "ServiceEntry"] as const).map((kind) => {
      const plural = PLURAL[kind];
      const upsert = (obj: KubernetesObject): void => {
        apply(store, kind, obj as unknown as IstioObject);
      };
      return startMirrorInformer<KubernetesObject>({
        kc,
        path: `/apis/networking.istio.io/v1/${plural}`,
        list: () =>
          api.listClusterCustomObject({ group: "networking.istio.io", version: "v1", plural }) as Promise<
            KubernetesListObject<KubernetesObject>
          >,
        what: kind,
        onAdd: upsert,
        onUpdate: upsert,
        onDelete: (obj) => {
          const { namespace = "", name = "" } = obj.metadata ?? {};
          if (store.get(kind, namespace, name) !== undefined) store.delete(kind, namespace, name);
        },
        onError: report,
        ...(options.restartMs !== undefined ? { restartMs: options.restartMs } : {}),
        ...(options.resyncMs !== undefined ? { resyncMs: options.resyncMs } : {}),
      });
    }),
  );
  return {
    stop: async () => {
      await Promise.all(informers.map((i) => i.stop()));
    },
  };
}
