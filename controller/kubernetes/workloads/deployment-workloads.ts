/**
 * The Workloads port on Deployments (ADR 0078). A version is the Deployment whose pod template
 * has `app: <service>` and `version: <version>`. `versions()` reads informer caches
 * (Deployments, the Services' EndpointSlices, and the pods those name), so it never polls and
 * never guesses from a timer. Writes start from a fresh read of the API server (a cache may not
 * have seen the latest create yet), carry its resourceVersion and re-read and retry on a 409;
 * every call is idempotent:
 * - `ensureVersion` creates the new version's Deployment from the old one's (see
 *   version-template.ts) and copies the old one's HPAs, or scales the one that exists; an
 *   existing one that differs from what is asked (image, selector) is refused, never replaced;
 * - `scaleVersion` writes the scale subresource; scaling to 0 deletes the version's HPAs first;
 * - `deleteVersion` deletes the HPAs, scales to 0, and deletes the Deployment with Foreground
 *   propagation, so it stays visible (desired 0) until its ReplicaSets and pods are gone.
 */
import { AppsV1Api, type KubeConfig, type V1Deployment } from "@kubernetes/client-node";
import type { ServiceRef, Workloads } from "../../ports/workloads.js";
import { PermanentError } from "../../reconciler/execute.js";
import type { Backoff } from "../informer.js";
import { apiStatusOf, describeKubeError } from "../kube-errors.js";
import { VersionAutoscalers } from "./hpa-copies.js";
import { appContainerIndex, APP_LABEL, VERSION_LABEL } from "./pod-conventions.js";
import { versionCounts, versionOf } from "./version-readiness.js";
import { startWorkloadCaches, type WorkloadCaches } from "./workload-caches.js";
import {
  appImage,
  deriveImage,
  selectorHasVersion,
  versionDeployment,
  versionDifferences,
} from "./version-template.js";

const DEPLOYMENTS = "deployments.apps";

/** Options of {@link DeploymentWorkloads.start}. */
export interface DeploymentWorkloadsOptions {
  readonly kc: KubeConfig;
  /** The namespaces whose workloads this adapter manages; all when omitted. */
  readonly namespaces?: readonly string[];
  /** Restart backoff of the informers. */
  readonly backoff?: Backoff;
  /** Attempts of a write that meets resourceVersion conflicts (default 5). */
  readonly conflictAttempts?: number;
}

/** `ensureVersion`'s request, with the Upgrade's enrolment id when the caller passes it (the `tranquil.dev/upgrade` label). */
export type EnsureVersionRequest = Parameters<Workloads["ensureVersion"]>[0] & { readonly upgrade?: string };

function deleting(d: V1Deployment): boolean {
  return d.metadata?.deletionTimestamp !== undefined && d.metadata.deletionTimestamp !== null;
}

/** Versions of services as Deployments. */
export class DeploymentWorkloads implements Workloads {
  private readonly apps: AppsV1Api;
  private readonly autoscalers: VersionAutoscalers;
  private readonly attempts: number;

  private constructor(
    options: DeploymentWorkloadsOptions,
    private readonly caches: WorkloadCaches,
  ) {
    this.apps = options.kc.makeApiClient(AppsV1Api);
    this.autoscalers = new VersionAutoscalers(options.kc);
    this.attempts = options.conflictAttempts ?? 5;
  }

  /** Starts the informers (Deployments, EndpointSlices, versioned pods) and resolves once each has listed. */
  static async start(options: DeploymentWorkloadsOptions): Promise<DeploymentWorkloads> {
    return new DeploymentWorkloads(options, await startWorkloadCaches(options));
  }

  /** An informer's last error, while it reconnects (for readiness). */
  lastError(): Error | undefined {
    return this.caches.lastError();
  }

  /** Stops the informers. */
  stop(): Promise<void> {
    return this.caches.stop();
  }

  async ensureVersion(request: EnsureVersionRequest): Promise<void> {
    const { namespace, service, version, fromVersion } = request;
    const deployments = await this.serviceDeployments(request);
    const old = this.pick(request, deployments, fromVersion);
    const existing = this.pick(request, deployments, version);
    if (existing !== undefined) {
      await this.keep(existing, old, request);
      return;
    }
    if (old === undefined) {
      throw new PermanentError(
        `no Deployment of ${namespace}/${service} with version=${fromVersion}; check "from" (its pod template needs the labels ${APP_LABEL}=${service} and ${VERSION_LABEL}=${fromVersion})`,
      );
    }
    const body = versionDeployment(old, { ...request, image: this.imageFor(old, request) });
    let created: V1Deployment;
    try {
      created = await this.apps.createNamespacedDeployment({ namespace, body });
    } catch (err) {
      if (apiStatusOf(err)?.code !== 409) {
        throw describeKubeError(err, {
          verb: "create",
          resource: DEPLOYMENTS,
          namespace,
          name: body.metadata?.name ?? "",
        });
      }
      // Created concurrently since the list, still being deleted, or a foreign Deployment of that name.
      const taken = await this.read(namespace, body.metadata?.name ?? "");
      if (deleting(taken)) {
        throw new Error(
          `Deployment ${namespace}/${taken.metadata?.name ?? ""} is still being deleted; the new one is created once it is gone`,
        );
      }
      if (versionOf(taken, service) !== version) {
        throw new PermanentError(
          `Deployment ${namespace}/${taken.metadata?.name ?? ""} exists and is not ${service} version ${version}; rename or delete it`,
        );
      }
      await this.keep(taken, old, request);
      return;
    }
    await this.autoscalers.copy(old, created, fromVersion, version);
  }

  async scaleVersion(ref: ServiceRef, version: string, replicas: number): Promise<void> {
    const d = await this.find(ref, version);
    if (d === undefined) {
      if (replicas === 0) return;
      throw new PermanentError(
        `no Deployment of ${ref.namespace}/${ref.service} with version=${version} to scale`,
      );
    }
    const name = d.metadata?.name ?? "";
    // An HPA would scale it back up (and an HPA of a retired version is only clutter).
    if (replicas === 0) await this.autoscalers.remove(ref.namespace, name);
    await this.scale(ref.namespace, name, replicas);
  }

  async deleteVersion(ref: ServiceRef, version: string): Promise<void> {
    const d = await this.find(ref, version);
    if (d === undefined) return;
    const name = d.metadata?.name ?? "";
    const { namespace } = ref;
    await this.autoscalers.remove(namespace, name);
    await this.scale(namespace, name, 0);
    try {
      await this.apps.deleteNamespacedDeployment({
        name,
        namespace,
        propagationPolicy: "Foreground",
        body: { propagationPolicy: "Foreground", preconditions: { uid: d.metadata?.uid ?? "" } },
      });
    } catch (err) {
      // Gone already, or replaced by a new Deployment of that name (the UID precondition keeps it).
      const code = apiStatusOf(err)?.code;
      if (code !== 404 && code !== 409) {
        throw describeKubeError(err, { verb: "delete", resource: DEPLOYMENTS, namespace, name });
      }
    }
  }

  versions(ref: ServiceRef): Promise<readonly { version: string; desired: number; ready: number }[]> {
    const caches = this.caches.of(ref.namespace);
    if (caches === undefined) return Promise.resolve([]);
    const { namespace, service } = ref;
    return Promise.resolve(
      versionCounts(service, caches.deployments.list(namespace), caches.slices.list(namespace), (pod) =>
        caches.pods.get(pod, namespace),
      ),
    );
  }

  /** An existing Deployment of the version: refused when it differs from the request, else scaled. */
  private async keep(
    existing: V1Deployment,
    old: V1Deployment | undefined,
    request: EnsureVersionRequest,
  ): Promise<void> {
    const { namespace, version } = request;
    const name = existing.metadata?.name ?? "";
    const problems = versionDifferences(existing, request);
    if (problems.length > 0) {
      throw new PermanentError(
        `Deployment ${namespace}/${name} of version ${version} exists but ${problems.join(" and ")}; delete it or change the upgrade`,
      );
    }
    await this.scale(namespace, name, request.replicas);
    // An earlier attempt may have created the Deployment and failed before its HPA.
    if (old !== undefined) await this.autoscalers.copy(old, existing, request.fromVersion, version);
  }

  /** The image of the new version: the one asked for, else derived from the old one's tag. */
  private imageFor(old: V1Deployment, request: EnsureVersionRequest): string {
    const where = `${request.namespace}/${old.metadata?.name ?? ""}`;
    if (appContainerIndex(old.spec?.template.spec) < 0) {
      throw new PermanentError(
        `Deployment ${where} has no app container (only the proxy and the TraceManager)`,
      );
    }
    if (!selectorHasVersion(old.spec?.selector, request.fromVersion)) {
      throw new PermanentError(
        `the selector of Deployment ${where} lacks "${VERSION_LABEL}: ${request.fromVersion}"; add it`,
      );
    }
    if (request.image !== undefined) return request.image;
    const derived = deriveImage(appImage(old) ?? "", request.fromVersion, request.version);
    if (!derived.ok) {
      throw new PermanentError(
        `cannot tell the image of ${request.service} ${request.version}: ${derived.reason}; set services[].image for ${request.service}`,
      );
    }
    return derived.image;
  }

  /** Writes `replicas` through the scale subresource, from a fresh read, retrying on conflicts. */
  private async scale(namespace: string, name: string, replicas: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      let scale;
      try {
        scale = await this.apps.readNamespacedDeploymentScale({ name, namespace });
      } catch (err) {
        if (apiStatusOf(err)?.code === 404 && replicas === 0) return;
        throw describeKubeError(err, { verb: "get", resource: `${DEPLOYMENTS}/scale`, namespace, name });
      }
      if (scale.spec?.replicas === replicas) return;
      scale.spec = Object.assign(scale.spec ?? {}, { replicas });
      try {
        await this.apps.replaceNamespacedDeploymentScale({ name, namespace, body: scale });
        return;
      } catch (err) {
        if (apiStatusOf(err)?.code === 409 && attempt < this.attempts) continue;
        throw describeKubeError(err, { verb: "update", resource: `${DEPLOYMENTS}/scale`, namespace, name });
      }
    }
  }

  private async read(namespace: string, name: string): Promise<V1Deployment> {
    try {
      return await this.apps.readNamespacedDeployment({ name, namespace });
    } catch (err) {
      throw describeKubeError(err, { verb: "get", resource: DEPLOYMENTS, namespace, name });
    }
  }

  /**
   * The Deployments of the service in its namespace, read from the API server: a write starts
   * from what is stored now, never from a cache that may not have seen the latest create.
   */
  private async serviceDeployments(ref: ServiceRef): Promise<V1Deployment[]> {
    if (this.caches.of(ref.namespace) === undefined) {
      throw new PermanentError(
        `namespace ${ref.namespace} is not one this controller manages (${this.caches.namespaces.join(", ")}); add it to the watched namespaces`,
      );
    }
    try {
      const list = await this.apps.listNamespacedDeployment({ namespace: ref.namespace });
      return list.items.filter((d) => !deleting(d) && versionOf(d, ref.service) !== undefined);
    } catch (err) {
      throw describeKubeError(err, { verb: "list", resource: DEPLOYMENTS, namespace: ref.namespace });
    }
  }

  /** The one live Deployment of `version` among `deployments`. */
  private pick(
    ref: ServiceRef,
    deployments: readonly V1Deployment[],
    version: string,
  ): V1Deployment | undefined {
    const found = deployments.filter((d) => versionOf(d, ref.service) === version);
    if (found.length > 1) {
      throw new PermanentError(
        `${found.length} Deployments of ${ref.namespace}/${ref.service} have version=${version} (${found.map((d) => d.metadata?.name ?? "").join(", ")}); keep one`,
      );
    }
    return found[0];
  }

  /** The one live Deployment of `version` of the service, as stored now. */
  private async find(ref: ServiceRef, version: string): Promise<V1Deployment | undefined> {
    return this.pick(ref, await this.serviceDeployments(ref), version);
  }
}
