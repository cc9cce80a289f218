import { badRequest } from "./http-errors.js";

/** Reads a JSON object body, or refuses with 400. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw badRequest("request body must be a JSON object (Content-Type: application/json)");
  return body as Record<string, unknown>;
}

/** A required string field, or 400 naming the field. */
export function stringField(obj: Record<string, unknown>, field: string): string {
  const v = obj[field];
  if (typeof v !== "string") throw badRequest(`"${field}" must be a string`);
  return v;
}

/** A required object field, or 400 naming the field. */
export function objectField(obj: Record<string, unknown>, field: string): Record<string, unknown> {
  const v = obj[field];
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw badRequest(`"${field}" must be an object`);
  return v as Record<string, unknown>;
}

/** The bearer token of an Authorization header ("" when absent). */
export function bearerToken(header: string | undefined): string {
  if (header === undefined) return "";
  const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return m?.[1] ?? "";
}
