/**
 * The informer every API server source of the local control plane uses: client-node's
 * makeInformer (list, then watch from the list's resourceVersion; a 410 relists), started again
 * `restartMs` after an error, as client-node asks its users to do (a restart relists when the
 * resourceVersion is gone), with a periodic resync: every `resyncMs` each cached object is
 * handed to `onUpdate` again, as a shared informer's resync does, so a copy that drifted from
 * the API server is put back (handlers skip what is unchanged). The local mesh does not import
 * the controller's informer: the
 * stand-ins stay apart from the product.
 */
import {
  makeInformer,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCache,
} from "@kubernetes/client-node";

/** Options of {@link startMirrorInformer}. */
export interface MirrorInformerOptions<T extends KubernetesObject> {
  readonly kc: KubeConfig;
  /** The watch path, e.g. `/api/v1/namespaces/default/pods`. */
  readonly path: string;
  /** Lists what `path` watches. */
  readonly list: () => Promise<KubernetesListObject<T>>;
  /** Names the resource in error reports (`Pod watch`). */
  readonly what: string;
  readonly onAdd: (obj: T) => void;
  readonly onUpdate: (obj: T) => void;
  readonly onDelete: (obj: T) => void;
  readonly onError: (err: unknown, what: string) => void;
  /** Pause before starting again after an error (default 1 s). */
  readonly restartMs?: number;
  /** How often every cached object is handed to `onUpdate` again (default 30 s; 0 turns it off). */
  readonly resyncMs?: number;
}

/** The default resync period of the local control plane's informers. */
export const DEFAULT_RESYNC_MS = 30_000;

/** A running informer and its cache; `stop()` also cancels a pending restart. */
export interface MirrorInformer<T extends KubernetesObject> extends ObjectCache<T> {
  stop(): Promise<void>;
}

/** Starts an informer; resolves once its first list is in (or failed: it then keeps retrying). */
export async function startMirrorInformer<T extends KubernetesObject>(
  options: MirrorInformerOptions<T>,
): Promise<MirrorInformer<T>> {
  const informer: Informer<T> & ObjectCache<T> = makeInformer<T>(options.kc, options.path, options.list);
  let stopped = false;
  let restart: NodeJS.Timeout | undefined;
  const guard =
    (fn: (obj: T) => void, verb: string) =>
    (obj: T): void => {
      try {
        fn(obj);
      } catch (err) {
        const { namespace = "", name = "" } = obj.metadata ?? {};
        options.onError(err, `${options.what} ${verb} ${namespace}/${name}`);
      }
    };
  informer.on("add", guard(options.onAdd, "add"));
  informer.on("update", guard(options.onUpdate, "update"));
  informer.on("delete", guard(options.onDelete, "delete"));
  informer.on("error", (err: unknown) => {
    options.onError(err, `${options.what} watch`);
    if (stopped) return;
    clearTimeout(restart);
    restart = setTimeout(() => {
      if (!stopped)
        informer.start().catch((e: unknown) => {
          options.onError(e, `${options.what} watch restart`);
        });
    }, options.restartMs ?? 1_000);
  });
  await informer.start();
  const resyncMs = options.resyncMs ?? DEFAULT_RESYNC_MS;
  const update = guard(options.onUpdate, "resync");
  const resync = resyncMs > 0 ? setInterval(() => informer.list().forEach(update), resyncMs) : undefined;
  resync?.unref();
  return {
    get: (name, namespace) => informer.get(name, namespace),
    list: (namespace) => informer.list(namespace),
    stop: async () => {
      stopped = true;
      clearInterval(resync);
      clearTimeout(restart);
      await informer.stop();
    },
  };
}
