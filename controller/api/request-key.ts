/**
 * The Upgrade a request names: `:name` in `?namespace=` (default `default`). Both are checked
 * at the entry against what Kubernetes allows for them, so a name of any other shape or length
 * is refused (400) before it reaches a store or a message.
 */
import type { Request } from "express";
import type { UpgradeKey } from "../ports/upgrade-store.js";
import { echoQuoted } from "./echo.js";
import { DEFAULT_NAMESPACE, UpgradeRequestError } from "./upgrades-service.js";

/** An object name (a DNS subdomain): what Kubernetes accepts for an Upgrade's name. */
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const OBJECT_NAME_MAX = 253;
/** A DNS label: what Kubernetes accepts for a namespace. */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const NAMESPACE_MAX = 63;

/** The `?namespace=` query parameter, if given once. */
export function namespaceOf(req: Request): string | undefined {
  const ns: unknown = req.query["namespace"];
  if (ns === undefined) return undefined;
  if (typeof ns !== "string" || ns === "") {
    throw new UpgradeRequestError("namespace must be given once, as ?namespace=<namespace>", 400);
  }
  if (ns.length > NAMESPACE_MAX || !NAMESPACE.test(ns)) {
    throw new UpgradeRequestError(
      `namespace ${echoQuoted(ns)} is not a namespace name: lower-case letters, digits and '-', at most ${NAMESPACE_MAX} characters`,
      400,
    );
  }
  return ns;
}

/** The Upgrade a request names. */
export function keyOf(req: Request): UpgradeKey {
  const name: unknown = req.params["name"];
  if (typeof name !== "string" || name.length > OBJECT_NAME_MAX || !OBJECT_NAME.test(name)) {
    throw new UpgradeRequestError(
      `upgrade name ${echoQuoted(typeof name === "string" ? name : "")} is not a valid name: lower-case letters, digits, '-' and '.', at most ${OBJECT_NAME_MAX} characters`,
      400,
    );
  }
  return { namespace: namespaceOf(req) ?? DEFAULT_NAMESPACE, name };
}
