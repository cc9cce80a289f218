/** Kubernetes field error types, as field.ErrorType renders them. */
export const FieldErrorType = {
  Required: "Required value",
  Invalid: "Invalid value",
  NotSupported: "Unsupported value",
  TooMany: "Too many",
  TooLong: "Too long",
  Forbidden: "Forbidden",
} as const;
/** One of the field error types. */
export type FieldErrorType = (typeof FieldErrorType)[keyof typeof FieldErrorType];

/** One refused field, rendered as the API server does: `path: Type[: detail]`. */
export interface FieldError {
  readonly field: string;
  readonly type: FieldErrorType;
  readonly detail?: string;
}

/** `spec.hosts: Required value`, `spec.x: Invalid value: "string": …`. */
export function formatFieldError(e: FieldError): string {
  return e.detail === undefined || e.detail === ""
    ? `${e.field}: ${e.type}`
    : `${e.field}: ${e.type}: ${e.detail}`;
}

/**
 * An object the API server would refuse with 422 Invalid. The message is the API server's:
 * `VirtualService.networking.istio.io "reviews" is invalid: <field errors>`.
 */
export class ValidationError extends Error {
  /** HTTP status the API server answers with. */
  readonly status = 422;
  /** Kubernetes StatusReason. */
  readonly reason = "Invalid";
  readonly kind: string;
  readonly objectName: string;
  readonly causes: readonly FieldError[];

  constructor(kind: string, group: string, objectName: string, causes: readonly FieldError[]) {
    const list = causes.map(formatFieldError);
    const detail = list.length === 1 ? (list[0] ?? "") : `[${list.join(", ")}]`;
    super(`${kind}.${group} ${JSON.stringify(objectName)} is invalid: ${detail}`);
    this.name = "ValidationError";
    this.kind = kind;
    this.objectName = objectName;
    this.causes = causes;
  }
}
