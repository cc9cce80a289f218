/**
 * The Workloads port: versions of a service as Deployments (Kubernetes) or instances of the
 * local mesh's runtime. Every call names the namespace of the service and is idempotent.
 */

/** A service in a namespace. */
export interface ServiceRef {
  readonly namespace: string;
  readonly service: string;
}

/** Starting, scaling and removing versions of a service. */
export interface Workloads {
  /** Creates (or keeps) `version` from `fromVersion`'s template with `replicas` instances. */
  ensureVersion(
    request: ServiceRef & {
      readonly version: string;
      readonly fromVersion: string;
      readonly image?: string;
      readonly replicas: number;
      /** The Upgrade's enrolment id, for the new version's `tranquil.dev/upgrade` label. */
      readonly upgrade?: string;
    },
  ): Promise<void>;
  /** Scales `version` to `replicas` (0 stops every instance, gracefully). */
  scaleVersion(ref: ServiceRef, version: string, replicas: number): Promise<void>;
  /** Removes `version` entirely. */
  deleteVersion(ref: ServiceRef, version: string): Promise<void>;
  /** Versions present for the service with their desired and ready instance counts. */
  versions(ref: ServiceRef): Promise<readonly { version: string; desired: number; ready: number }[]>;
}
