/**
 * The one Lease the election uses, read and written through the API server with the
 * resourceVersion of the record it was computed from, each call bounded by an AbortSignal (a
 * renewal that hangs must not outlive the renew deadline). A 409 means someone else wrote the
 * record first; it is an outcome, not an error.
 */
import {
  ApiException,
  CoordinationV1Api,
  Observable,
  type KubeConfig,
  type ObservableMiddleware,
  type V1Lease,
  type V1LeaseSpec,
} from "@kubernetes/client-node";
import { describeKubeError, kubeTarget, type KubeAction } from "../kube-errors.js";

/** The outcome of a write: the stored Lease, or `conflict` when another writer won. */
export type LeaseWrite = { readonly ok: true; readonly lease: V1Lease } | { readonly ok: false };

const RESOURCE = "leases.coordination.k8s.io";

/** Reads and writes one named Lease. */
export class LeaseApi {
  private readonly api: CoordinationV1Api;
  private readonly target: { server?: string; context?: string };

  constructor(
    kc: KubeConfig,
    readonly namespace: string,
    readonly name: string,
  ) {
    this.api = kc.makeApiClient(CoordinationV1Api);
    this.target = kubeTarget(kc);
  }

  /** The Lease, or undefined when it does not exist. */
  async get(signal: AbortSignal): Promise<V1Lease | undefined> {
    try {
      return await this.api.readNamespacedLease(
        { name: this.name, namespace: this.namespace },
        withSignal(signal),
      );
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return undefined;
      throw describeKubeError(err, this.action("get"));
    }
  }

  /** Creates the Lease with `spec`; `ok: false` when it was created meanwhile by someone else. */
  async create(spec: V1LeaseSpec, signal: AbortSignal): Promise<LeaseWrite> {
    try {
      const lease = await this.api.createNamespacedLease(
        {
          namespace: this.namespace,
          body: { metadata: { name: this.name, namespace: this.namespace }, spec },
        },
        withSignal(signal),
      );
      return { ok: true, lease };
    } catch (err) {
      if (err instanceof ApiException && err.code === 409) return { ok: false };
      throw describeKubeError(err, this.action("create"));
    }
  }

  /** Replaces the spec of `current`, guarded by its resourceVersion; `ok: false` on a conflict. */
  async replace(current: V1Lease, spec: V1LeaseSpec, signal: AbortSignal): Promise<LeaseWrite> {
    try {
      const lease = await this.api.replaceNamespacedLease(
        {
          name: this.name,
          namespace: this.namespace,
          body: {
            metadata: {
              name: this.name,
              namespace: this.namespace,
              ...(current.metadata?.resourceVersion !== undefined
                ? { resourceVersion: current.metadata.resourceVersion }
                : {}),
            },
            spec,
          },
        },
        withSignal(signal),
      );
      return { ok: true, lease };
    } catch (err) {
      if (err instanceof ApiException && err.code === 409) return { ok: false };
      throw describeKubeError(err, this.action("update"));
    }
  }

  private action(verb: string): KubeAction {
    return { verb, resource: RESOURCE, namespace: this.namespace, name: this.name, ...this.target };
  }
}

/** Per-call options that abort the request with `signal`. */
function withSignal(signal: AbortSignal): {
  middleware: ObservableMiddleware[];
  middlewareMergeStrategy: "append";
} {
  return {
    middleware: [
      {
        pre: (context) => {
          context.setSignal(signal);
          return new Observable(Promise.resolve(context));
        },
        post: (context) => new Observable(Promise.resolve(context)),
      },
    ],
    middlewareMergeStrategy: "append",
  };
}
