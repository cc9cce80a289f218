/**
 * What a POST carries: a JSON object with Content-Type application/json. Anything else is
 * refused with what was wrong (a text/plain body, `null`, an array), not with a message about
 * the fields a body that was never read lacks.
 */
import type { Request } from "express";
import { echo } from "./echo.js";
import { UpgradeRequestError } from "./upgrades-service.js";

/** True when the request carries a body (of any length but zero). */
function hasBody(req: Request): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

/** The media type of the request, without parameters, as the client sent it. */
function mediaTypeOf(req: Request): string | undefined {
  const type = req.headers["content-type"]?.split(";")[0]?.trim();
  return type === undefined || type === "" ? undefined : type;
}

/** What the parsed JSON body is, in words: "null", "an array", "a string". */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/**
 * The body as a JSON object. `expected` names what it should be ("an upgrade object"); with
 * `optional`, a request without a body gives `{}`.
 * @throws UpgradeRequestError 415 for another Content-Type, 400 for an absent body or a JSON value that is not an object
 */
export function jsonObjectBody(req: Request, expected: string, optional = false): Record<string, unknown> {
  if (!hasBody(req)) {
    if (optional) return {};
    throw new UpgradeRequestError(
      `the body is empty; expected ${expected} as JSON with Content-Type application/json`,
      400,
    );
  }
  if (req.is("application/json") !== "application/json") {
    const type = mediaTypeOf(req);
    throw new UpgradeRequestError(
      `the body must be a JSON object with Content-Type application/json; got ${type === undefined ? "no Content-Type" : echo(type)}`,
      415,
    );
  }
  const body: unknown = req.body;
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new UpgradeRequestError(`the body is ${kindOf(body)}; expected ${expected}`, 400);
  }
  return body as Record<string, unknown>;
}
