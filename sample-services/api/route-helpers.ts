import type { Request } from "express";
import { ID_RULE, isId, isPhone } from "../domain/validation.js";
import { quoted } from "../echo.js";
import type { UserReply } from "../grpc/messages.js";
import { bearerToken } from "./body.js";
import { ApiError, badRequest } from "./http-errors.js";
import type { ApiContext } from "./request-context.js";
import { HOLD_HEADER, TransactionHolds } from "./transaction-holds.js";

/** Request header asking logistics-api to hold `POST /orders` open mid-transaction (a slow transaction). */
export const DELAY_HEADER = "x-sample-delay-ms";

/** A route's result: HTTP status and JSON body (servedBy is added by the app). */
export interface RouteResult {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** Settings the routes need. */
export interface RouteSettings {
  /** Upper bound for the delay header (default 30 s). */
  readonly maxDelayMs: number;
}

/** Resolves the bearer token to its user and scopes through auth-service. */
export async function authenticate(
  req: Request,
  ctx: ApiContext,
): Promise<UserReply & { user: NonNullable<UserReply["user"]> }> {
  const reply = await ctx.call<UserReply>("auth-service", "VerifyToken", {
    token: bearerToken(req.get("authorization")),
  });
  if (reply.user === null)
    throw new ApiError(502, "BAD_GATEWAY", "auth-service returned no user for a valid token");
  return { ...reply, user: reply.user };
}

/** A route parameter as one string. */
export function param(req: Request, name: string): string {
  const v = (req.params as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? v.join("/") : (v ?? "");
}

/** A route parameter that must be an id (`:id` of an order): 400 at the entry for any other shape. */
export function idParam(req: Request, name: string, what: string): string {
  const v = param(req, name);
  if (!isId(v)) throw badRequest(`${what} ${quoted(v)} is not valid: ${ID_RULE}`);
  return v;
}

/** A route parameter that must be a phone number: 400 at the entry for any other shape. */
export function phoneParam(req: Request, name: string): string {
  const v = param(req, name);
  if (!isPhone(v)) throw badRequest(`phone ${quoted(v)} is not a phone number like +15551234567`);
  return v;
}

/** 403 unless `scopes` holds `scope`. */
export function requireScope(scopes: readonly string[], scope: string, what: string): void {
  if (!scopes.includes(scope))
    throw new ApiError(403, "PERMISSION_DENIED", `${what} needs the ${scope} scope`);
}

/** The requested mid-transaction delay, bounded by the settings. */
export function delayOf(req: Request, settings: RouteSettings): number {
  const raw = req.get(DELAY_HEADER);
  if (raw === undefined) return 0;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0 || ms > settings.maxDelayMs)
    throw badRequest(
      `${DELAY_HEADER} must be a whole number of milliseconds from 0 to ${settings.maxDelayMs}`,
    );
  return ms;
}

/** The hold a request names (see transaction-holds.ts), or undefined. */
export function holdOf(req: Request): string | undefined {
  const name = req.get(HOLD_HEADER);
  if (name === undefined) return undefined;
  if (!TransactionHolds.valid(name))
    throw badRequest(`${HOLD_HEADER} must be 1 to 64 letters, digits or dashes`);
  return name;
}
