import { echo, MESSAGE_MAX } from "../echo.js";
import { Code, codeName, hasGrpcCode } from "../grpc/errors.js";

/** HTTP status for each gRPC status an upstream may return (as grpc-gateway maps them). */
export const HTTP_STATUS_BY_GRPC_CODE: Readonly<Record<number, number>> = {
  [Code.INVALID_ARGUMENT]: 400,
  [Code.OUT_OF_RANGE]: 400,
  [Code.UNAUTHENTICATED]: 401,
  [Code.PERMISSION_DENIED]: 403,
  [Code.NOT_FOUND]: 404,
  [Code.ALREADY_EXISTS]: 409,
  [Code.FAILED_PRECONDITION]: 409,
  [Code.ABORTED]: 409,
  [Code.RESOURCE_EXHAUSTED]: 429,
  [Code.CANCELLED]: 499,
  [Code.UNIMPLEMENTED]: 501,
  [Code.UNAVAILABLE]: 503,
  [Code.DEADLINE_EXCEEDED]: 504,
};

/** An error the REST API answers with: HTTP status, a stable code and a message for people. */
export class ApiError extends Error {
  override readonly name = "ApiError";

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** 400 for a request the API itself refuses before calling any service. */
export function badRequest(message: string): ApiError {
  return new ApiError(400, "INVALID_ARGUMENT", message);
}

/** Maps any error to the status, code and message the API answers with (at most MESSAGE_MAX characters). */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) {
    return err.message.length <= MESSAGE_MAX
      ? err
      : new ApiError(err.status, err.code, echo(err.message, MESSAGE_MAX), { cause: err });
  }
  if (hasGrpcCode(err)) {
    const status = HTTP_STATUS_BY_GRPC_CODE[err.code] ?? 500;
    return new ApiError(status, codeName(err.code), echo(err.message, MESSAGE_MAX), { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError(500, "INTERNAL", echo(message, MESSAGE_MAX), { cause: err });
}
