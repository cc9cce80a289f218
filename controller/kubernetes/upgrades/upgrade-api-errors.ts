/**
 * What the API server's refusals of an Upgrade call mean, as the port's errors (409 stale →
 * `UpgradeConflictError`, 409 exists → `UpgradeExistsError`, 404 → `UpgradeNotFoundError`) or
 * as errors that say what to do: the CRD is not installed, the controller may not do this
 * verb on this resource, the object breaks the CRD's schema (422, with the API server's own
 * message naming the field). Each carries the HTTP status and the client's error as its cause.
 */
import { ApiException } from "@kubernetes/client-node";
import {
  keyString,
  UpgradeConflictError,
  UpgradeExistsError,
  UpgradeNotFoundError,
  type UpgradeKey,
} from "../../ports/upgrade-store.js";
import { CRD_MANIFEST_PATH, UPGRADE_API } from "../../upgrade-spec/crd-manifest.js";

/** The call that was refused: what the RBAC rule must allow, and on which Upgrade. */
export interface UpgradeCall {
  readonly verb: "get" | "list" | "watch" | "create" | "update" | "patch";
  readonly resource: "upgrades" | "upgrades/status";
  /** Absent for a watch or list over every namespace. */
  readonly namespace?: string;
  readonly key?: UpgradeKey;
  /** The resourceVersion the write was guarded by. */
  readonly resourceVersion?: string;
  /** The current resourceVersion as far as known, for a conflict's message. */
  readonly currentVersion?: () => string | undefined;
}

/** The Upgrade CRD is not installed in the cluster (the API server does not serve the resource). */
export class UpgradeCrdMissingError extends Error {
  readonly status = 503;
  constructor(options?: ErrorOptions) {
    super(`the Upgrade CRD is not installed: kubectl apply -f ${CRD_MANIFEST_PATH}`, options);
    this.name = "UpgradeCrdMissingError";
  }
}

/** RBAC refused the controller a verb on a resource. */
export class UpgradeForbiddenError extends Error {
  readonly status = 403;
  constructor(
    readonly verb: UpgradeCall["verb"],
    readonly resource: UpgradeCall["resource"],
    readonly namespace: string | undefined,
    serverMessage: string,
    options?: ErrorOptions,
  ) {
    const where = namespace === undefined ? "in every namespace" : `in namespace ${namespace}`;
    super(
      `forbidden to ${verb} ${resource} ${where}: grant the controller's account the verb "${verb}" ` +
        `on "${resource}" in API group ${UPGRADE_API.group} (the API server said: ${serverMessage})`,
      options,
    );
    this.name = "UpgradeForbiddenError";
  }
}

/** One field the API server refused, as its Status names it. */
export interface RefusedField {
  readonly field: string;
  readonly message: string;
}

/** The object breaks the CRD's schema (HTTP 422); the message is the API server's, naming the field. */
export class UpgradeInvalidError extends Error {
  readonly status = 422;
  constructor(
    message: string,
    readonly causes: readonly RefusedField[],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "UpgradeInvalidError";
  }
}

/** A namespace the call cannot use: it does not exist (404) or the store does not watch it (400). */
export class UpgradeNamespaceError extends Error {
  constructor(
    readonly status: 400 | 404,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "UpgradeNamespaceError";
  }
}

/** Any other refusal, with the API server's status and message. */
export class UpgradeApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "UpgradeApiError";
  }
}

interface StatusBody {
  readonly reason?: string;
  readonly message?: string;
  readonly details?: {
    readonly kind?: string;
    readonly name?: string;
    readonly causes?: readonly { readonly field?: string; readonly message?: string }[];
  };
}

/** The HTTP status and the v1 Status of a failed call, when it has them. */
function refusal(err: unknown): { code: number; body: StatusBody } | undefined {
  if (err instanceof ApiException) {
    const raw: unknown = err.body;
    let body: StatusBody = {};
    if (typeof raw === "string") {
      try {
        body = JSON.parse(raw) as StatusBody;
      } catch {
        body = { message: raw };
      }
    } else if (typeof raw === "object" && raw !== null) body = raw;
    return { code: err.code, body };
  }
  // A failed watch: client-node's Watch gives an Error with the HTTP status only.
  const statusCode = (err as { statusCode?: unknown } | null)?.statusCode;
  if (err instanceof Error && typeof statusCode === "number") return { code: statusCode, body: {} };
  return undefined;
}

/** The error the store throws for `err`, a failure of `call`. Errors that are no refusal pass as they are. */
export function upgradeApiError(err: unknown, call: UpgradeCall): Error {
  const refused = refusal(err);
  if (refused === undefined) return err instanceof Error ? err : new Error(String(err));
  const { code, body } = refused;
  const cause = { cause: err };
  const serverMessage = body.message ?? (err instanceof Error ? err.message : String(err));
  const where = call.key === undefined ? (call.namespace ?? "every namespace") : keyString(call.key);
  switch (code) {
    case 409:
      if (call.key !== undefined && body.reason === "AlreadyExists") return new UpgradeExistsError(call.key);
      if (call.key !== undefined) {
        const current = call.currentVersion?.();
        const now = current !== undefined && current !== call.resourceVersion ? current : "a newer one";
        return new UpgradeConflictError(call.key, call.resourceVersion ?? "", now);
      }
      break;
    case 404:
      if (body.details?.kind === "namespaces") {
        return new UpgradeNamespaceError(404, `namespace ${call.namespace ?? ""} does not exist`, cause);
      }
      // An Upgrade that is not there names its kind; an unknown resource names nothing.
      if (body.details?.kind === UPGRADE_API.plural && call.key !== undefined) {
        return new UpgradeNotFoundError(call.key);
      }
      return new UpgradeCrdMissingError(cause);
    case 403:
      return new UpgradeForbiddenError(call.verb, call.resource, call.namespace, serverMessage, cause);
    case 422:
      return new UpgradeInvalidError(
        serverMessage,
        (body.details?.causes ?? []).map((c) => ({ field: c.field ?? "", message: c.message ?? "" })),
        cause,
      );
  }
  return new UpgradeApiError(
    code,
    `${call.verb} ${call.resource} (${where}) failed with HTTP ${code}: ${serverMessage}`,
    cause,
  );
}
