/**
 * The Workloads port: versions of a service as Deployments (Kubernetes) or instances of the
 * local mesh's runtime. Every call is idempotent.
 */

/** Starting, scaling and removing versions of a service. */
export interface Workloads {
  /** Creates (or keeps) `version` from `fromVersion`'s template with `replicas` instances. */
  ensureVersion(request: {
    readonly service: string;
    readonly version: string;
    readonly fromVersion: string;
    readonly image?: string;
    readonly replicas: number;
  }): Promise<void>;
  /** Scales `version` to `replicas` (0 stops every instance, gracefully). */
  scaleVersion(service: string, version: string, replicas: number): Promise<void>;
  /** Removes `version` entirely. */
  deleteVersion(service: string, version: string): Promise<void>;
  /** Versions present for `service` with their desired and ready instance counts. */
  versions(service: string): Promise<readonly { version: string; desired: number; ready: number }[]>;
}
