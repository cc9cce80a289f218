/**
 * Informers for the Kubernetes backend: client-node's ListWatch (list, then watch from the
 * list's resourceVersion; a 410 Gone relists) with watch bookmarks asked for, and restarted
 * after an error with exponential backoff, which relists. Nothing in the backend polls.
 */
import {
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from "@kubernetes/client-node";

/** Backoff between restarts after a failed list or watch. */
export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** The default backoff: 1 s, doubling, at most 30 s. */
export const DEFAULT_BACKOFF: Backoff = { initialMs: 1_000, maxMs: 30_000 };

/** Options of {@link startInformer}. */
export interface InformerOptions<T extends KubernetesObject> {
  readonly kc: KubeConfig;
  /** The watch path, e.g. `/apis/apps/v1/namespaces/ns/deployments` or `/api/v1/pods`. */
  readonly path: string;
  /** Lists what `path` watches (the first list and every relist). */
  readonly list: () => Promise<KubernetesListObject<T>>;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly onAdd?: (obj: T) => void;
  readonly onUpdate?: (obj: T) => void;
  readonly onDelete?: (obj: T) => void;
  /** After every successful (re)list and watch start, with the whole cache. */
  readonly onResync?: (objects: readonly T[]) => void;
  /** A list or watch failed; the informer restarts after the backoff. */
  readonly onError?: (err: Error) => void;
  readonly backoff?: Backoff;
}

/** A running informer and its cache. */
export interface ResourceInformer<T extends KubernetesObject> {
  /** The cached objects, of one namespace or all. */
  list(namespace?: string): T[];
  get(name: string, namespace?: string): T | undefined;
  /** The last error, until the informer is connected again. */
  lastError(): Error | undefined;
  stop(): Promise<void>;
}

/** A Watch that asks the API server for bookmarks, so a quiet watch resumes without a relist. */
function bookmarkingWatch(kc: KubeConfig): Watch {
  const watch = new Watch(kc);
  const wrapped: Pick<Watch, "watch"> = {
    watch: (path, queryParams, callback, done) =>
      watch.watch(path, { ...queryParams, allowWatchBookmarks: true }, callback, done),
  };
  return wrapped as Watch;
}

/** Lists, watches and keeps a cache of one resource; resolves once the first list is in. */
export async function startInformer<T extends KubernetesObject>(
  options: InformerOptions<T>,
): Promise<ResourceInformer<T>> {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const lw = new ListWatch<T>(
    options.path,
    bookmarkingWatch(options.kc),
    options.list,
    false,
    options.labelSelector,
    options.fieldSelector,
  );
  let stopped = false;
  let starting = false;
  let errors = 0;
  let failure: Error | undefined;
  let delayMs = backoff.initialMs;
  let timer: NodeJS.Timeout | undefined;
  if (options.onAdd !== undefined) lw.on("add", options.onAdd);
  if (options.onUpdate !== undefined) lw.on("update", options.onUpdate);
  if (options.onDelete !== undefined) lw.on("delete", options.onDelete);

  const restart = (): void => {
    if (stopped || timer !== undefined) return;
    const wait = delayMs;
    delayMs = Math.min(delayMs * 2, backoff.maxMs);
    timer = setTimeout(() => {
      timer = undefined;
      if (stopped) return;
      void attempt().then((err) => {
        if (err === undefined) return;
        options.onError?.(err);
        restart();
      });
    }, wait);
  };
  // ListWatch reports a failed list or watch through its error callback, not by rejecting.
  lw.on("error", (err: unknown) => {
    errors++;
    failure = err instanceof Error ? err : new Error(String(err));
    if (starting || stopped) return;
    options.onError?.(failure);
    restart();
  });
  /** One (re)start: list, then watch. Resolves with the error when either failed. */
  const attempt = async (): Promise<Error | undefined> => {
    const before = errors;
    starting = true;
    try {
      await lw.start();
    } catch (err) {
      errors++;
      failure = err instanceof Error ? err : new Error(String(err));
    } finally {
      starting = false;
    }
    if (errors > before) return failure;
    failure = undefined;
    delayMs = backoff.initialMs;
    options.onResync?.(lw.list());
    return undefined;
  };
  // The first start must succeed: the caller learns at once that the API is unreachable or forbidden.
  const first = await attempt();
  if (first !== undefined) {
    stopped = true;
    await lw.stop();
    throw first;
  }
  return {
    list: (namespace) => [...lw.list(namespace)],
    get: (name, namespace) => lw.get(name, namespace),
    lastError: () => failure,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await lw.stop();
    },
  };
}
