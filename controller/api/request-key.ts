/**
 * The Upgrade a request names: `:name` in `?namespace=` (default `default`).
 */
import type { Request } from "express";
import type { UpgradeKey } from "../ports/upgrade-store.js";
import { DEFAULT_NAMESPACE, UpgradeRequestError } from "./upgrades-service.js";

/** The `?namespace=` query parameter, if given once. */
export function namespaceOf(req: Request): string | undefined {
  const ns: unknown = req.query["namespace"];
  if (ns === undefined) return undefined;
  if (typeof ns !== "string" || ns === "") {
    throw new UpgradeRequestError("namespace must be given once, as ?namespace=<namespace>", 400);
  }
  return ns;
}

/** The Upgrade a request names. */
export function keyOf(req: Request): UpgradeKey {
  const name: unknown = req.params["name"];
  return { namespace: namespaceOf(req) ?? DEFAULT_NAMESPACE, name: typeof name === "string" ? name : "" };
}
