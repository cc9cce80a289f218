import { status } from "@grpc/grpc-js";

/** gRPC status code numbers by name. */
export const Code = status;

/** The name of a gRPC status code (`NOT_FOUND`). */
export function codeName(code: number): string {
  return (status as unknown as Record<number, string>)[code] ?? `CODE_${code}`;
}

/**
 * An error a service returns to its caller with a gRPC status. `servedBy` carries the versions
 * that had served the transaction when it failed, so failures still report them.
 */
export class ServiceError extends Error {
  override readonly name = "ServiceError";

  constructor(
    readonly code: status,
    message: string,
    options?: { cause?: unknown; servedBy?: readonly string[] },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.servedBy = options?.servedBy ?? [];
  }

  readonly servedBy: readonly string[];
}

/** True for an error object carrying a gRPC status code (ServiceError or grpc-js ServiceError). */
export function hasGrpcCode(err: unknown): err is { code: status; details?: string; message: string } {
  return typeof err === "object" && err !== null && typeof (err as { code?: unknown }).code === "number";
}
