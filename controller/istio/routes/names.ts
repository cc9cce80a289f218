/**
 * Names and marks of what Tranquil owns in the route table: route names inside VirtualServices
 * (`tranquil-<id>-…`), the sentinel's epoch, and labels on Tranquil-owned objects. Ownership
 * is recognised by exact shape, so upgrades whose ids share a prefix never touch each other's
 * routes.
 */
import { createHash } from "node:crypto";

/** Label on VirtualServices and DestinationRules that Tranquil created. */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
/** Value of MANAGED_BY_LABEL on Tranquil-owned objects. */
export const MANAGED_BY_VALUE = "tranquil";
/** Label naming the upgrade that created a Tranquil-owned object. */
export const UPGRADE_LABEL = "tranquil.dev/upgrade";
/** Header the sentinel matches; no client sends it with the sentinel's value. */
export const SENTINEL_HEADER = "x-tranquil-sentinel";
/** Header that carries the transaction id (pins match it). */
export const REQUEST_ID_HEADER = "x-request-id";
/**
 * Annotation on a user's VirtualService holding, as JSON, the destinations Finalizing changed in
 * it (`RouteOriginal[]`), written in the same write as the change: a controller killed before
 * its status write still finds them (G5). Removed by the upgrade's last write.
 */
export function originalsAnnotation(id: string): string {
  return `originals.tranquil.dev/${id}`;
}
/** Name of the default route inside a Tranquil-owned VirtualService. */
export const OWNED_DEFAULT_ROUTE = "tranquil-default";

/** Kinds of route Tranquil inserts. */
export const TranquilRouteKind = {
  Sentinel: "sentinel",
  Held: "held",
  Enrolled: "enrolled",
  Pin: "pin",
  Stamp: "stamp",
} as const;
/** A kind of Tranquil route. */
export type TranquilRouteKind = (typeof TranquilRouteKind)[keyof typeof TranquilRouteKind];

const escapeForRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The sentinel's route name: `tranquil-<id>-e<epoch>`. */
export function sentinelName(id: string, epoch: number): string {
  return `tranquil-${id}-e${epoch}`;
}

/** Name of the non-enrolled clone of user route `index`. */
export function heldName(id: string, index: number): string {
  return `tranquil-${id}-held-${index}`;
}

/** Name of the enrolled clone of user route `index`. */
export function enrolledName(id: string, index: number): string {
  return `tranquil-${id}-enrolled-${index}`;
}

/** Name of pin chunk `chunk` before user route `index`. */
export function pinName(id: string, index: number, chunk: number): string {
  return `tranquil-${id}-pin-${index}-${chunk}`;
}

/** Name of the gateway stamp before user route `index` (ADR 0090). */
export function stampName(id: string, index: number): string {
  return `tranquil-${id}-stamp-${index}`;
}

/** Which Tranquil route of upgrade `id` a route name denotes, or undefined when it is not one. */
export function tranquilRouteKind(id: string, name: string | undefined): TranquilRouteKind | undefined {
  if (name === undefined) return undefined;
  const m = new RegExp(
    `^tranquil-${escapeForRegExp(id)}-(?:(e)\\d+|(held)-\\d+|(enrolled)-\\d+|(pin)-\\d+-\\d+|(stamp)-\\d+)$`,
  ).exec(name);
  if (m === null) return undefined;
  if (m[1] !== undefined) return TranquilRouteKind.Sentinel;
  if (m[2] !== undefined) return TranquilRouteKind.Held;
  if (m[3] !== undefined) return TranquilRouteKind.Enrolled;
  if (m[4] !== undefined) return TranquilRouteKind.Pin;
  return TranquilRouteKind.Stamp;
}

/** The epoch in a sentinel name of upgrade `id`, or undefined. */
export function sentinelEpoch(id: string, name: string | undefined): number | undefined {
  if (name === undefined) return undefined;
  const m = new RegExp(`^tranquil-${escapeForRegExp(id)}-e(\\d+)$`).exec(name);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** The sentinel header's value: random-looking, deterministic from the id so plans are idempotent. */
export function sentinelValue(id: string): string {
  return createHash("sha256").update(`tranquil-sentinel:${id}`).digest("hex").slice(0, 32);
}

/** Name of the VirtualService or DestinationRule Tranquil creates for `service` when none exists. */
export function ownedObjectName(id: string, service: string): string {
  return `tranquil-${id}-${service}`;
}
