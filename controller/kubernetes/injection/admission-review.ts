/**
 * The admission.k8s.io/v1 AdmissionReview a mutating webhook receives and answers: the request's
 * fields injection reads, and the response that echoes its uid and always allows, with or
 * without a base64 JSONPatch.
 */
import type { V1Pod } from "@kubernetes/client-node";
import type { JsonPatchOp } from "./json-patch.js";

/** The API version of the reviews this webhook accepts and answers. */
export const ADMISSION_REVIEW_VERSION = "admission.k8s.io/v1";

/** What injection reads of an AdmissionReview's request. */
export interface AdmissionRequest {
  readonly uid: string;
  readonly kind: { readonly group: string; readonly version: string; readonly kind: string };
  readonly operation: string;
  readonly namespace?: string;
  readonly object?: V1Pod;
  readonly dryRun?: boolean;
}

/** The response part of an answered AdmissionReview. */
export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: true;
  readonly patchType?: "JSONPatch";
  /** The JSONPatch, base64-encoded. */
  readonly patch?: string;
  /** Shown to the client that made the request (kubectl prints them). */
  readonly warnings?: readonly string[];
}

/** An answered AdmissionReview. */
export interface AdmissionReviewAnswer {
  readonly apiVersion: typeof ADMISSION_REVIEW_VERSION;
  readonly kind: "AdmissionReview";
  readonly response: AdmissionResponse;
}

/** Thrown when a body is not an admission.k8s.io/v1 AdmissionReview with a request. */
export class BadReviewError extends Error {
  constructor(
    message: string,
    /** The request's uid when it could be read, so the answer can still echo it. */
    readonly uid: string,
  ) {
    super(message);
    this.name = "BadReviewError";
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
const text = (v: unknown): string => (typeof v === "string" ? v : "");

/** The request of an AdmissionReview body. @throws BadReviewError naming what is wrong. */
export function parseAdmissionReview(body: unknown): AdmissionRequest {
  if (!isObject(body)) throw new BadReviewError("the body is not a JSON object", "");
  const request = body["request"];
  const uid = isObject(request) && typeof request["uid"] === "string" ? request["uid"] : "";
  if (body["apiVersion"] !== ADMISSION_REVIEW_VERSION || body["kind"] !== "AdmissionReview")
    throw new BadReviewError(
      `expected an ${ADMISSION_REVIEW_VERSION} AdmissionReview, got ${JSON.stringify(body["apiVersion"])} ${JSON.stringify(body["kind"])}`,
      uid,
    );
  if (!isObject(request) || uid === "") throw new BadReviewError("the review has no request with a uid", uid);
  const kind = request["kind"];
  if (!isObject(kind) || typeof kind["kind"] !== "string")
    throw new BadReviewError("the request has no kind", uid);
  return {
    uid,
    kind: { group: text(kind["group"]), version: text(kind["version"]), kind: kind["kind"] },
    operation: text(request["operation"]),
    ...(typeof request["namespace"] === "string" ? { namespace: request["namespace"] } : {}),
    ...(isObject(request["object"]) ? { object: request["object"] } : {}),
    ...(request["dryRun"] === true ? { dryRun: true } : {}),
  };
}

/** The answer that allows the request, with `patch` applied when given and not empty, and any warnings. */
export function allowResponse(
  uid: string,
  patch?: readonly JsonPatchOp[],
  warnings: readonly string[] = [],
): AdmissionReviewAnswer {
  const withPatch =
    patch !== undefined && patch.length > 0
      ? { patchType: "JSONPatch" as const, patch: Buffer.from(JSON.stringify(patch)).toString("base64") }
      : {};
  return {
    apiVersion: ADMISSION_REVIEW_VERSION,
    kind: "AdmissionReview",
    response: { uid, allowed: true, ...withPatch, ...(warnings.length > 0 ? { warnings } : {}) },
  };
}
