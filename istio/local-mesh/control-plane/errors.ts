/** Kubernetes-style API error: HTTP status and StatusReason, as client-node surfaces them. */
export class StoreError extends Error {
  readonly status: number;
  readonly reason: string;

  constructor(status: number, reason: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.status = status;
    this.reason = reason;
  }
}

/** 404: `virtualservices.networking.istio.io "reviews" not found`. */
export class NotFoundError extends StoreError {
  constructor(resource: string, name: string) {
    super(404, "NotFound", `${resource} ${JSON.stringify(name)} not found`);
  }
}

/** 409 on create: `virtualservices.networking.istio.io "reviews" already exists`. */
export class AlreadyExistsError extends StoreError {
  constructor(resource: string, name: string) {
    super(409, "AlreadyExists", `${resource} ${JSON.stringify(name)} already exists`);
  }
}

/**
 * 409 on a stale resourceVersion (update) or a failed precondition (delete), worded as the
 * API server words it. Callers re-read and retry.
 */
export class ConflictError extends StoreError {
  constructor(resource: string, name: string, why: string) {
    super(409, "Conflict", `Operation cannot be fulfilled on ${resource} ${JSON.stringify(name)}: ${why}`);
  }
}

/** The API server's wording of a stale resourceVersion. */
export const STALE_OBJECT_MESSAGE =
  "the object has been modified; please apply your changes to the latest version and try again";
