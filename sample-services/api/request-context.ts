import type { Request } from "express";
import type { UpstreamPool } from "../grpc/upstreams.js";
import type { GrpcServiceName } from "../names.js";
import { fromHttpHeaders, withRequestId, type PropagatedHeaders } from "../propagation.js";
import { ServedBy } from "../served-by.js";

/** One REST transaction's context: its propagated headers, its servedBy, and upstream calls. */
export interface ApiContext {
  readonly requestId: string;
  readonly headers: PropagatedHeaders;
  readonly servedBy: ServedBy;
  /** Aborted when the caller goes away before the response is sent. */
  readonly signal: AbortSignal;
  call<Res>(service: GrpcServiceName, method: string, request: object): Promise<Res>;
}

/** Builds the context of an incoming request, minting an `x-request-id` when none came in. */
export function apiContext(
  req: Request,
  self: string,
  upstreams: UpstreamPool,
  enrolmentHeader: string,
  signal: AbortSignal,
): ApiContext {
  const headers = withRequestId(fromHttpHeaders(req.headers, enrolmentHeader));
  const servedBy = new ServedBy([self]);
  return {
    requestId: headers["x-request-id"] ?? "",
    headers,
    servedBy,
    signal,
    call: (service, method, request) => upstreams.call(service, method, request, headers, servedBy),
  };
}
