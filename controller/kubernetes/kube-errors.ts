/**
 * Kubernetes API failures in words a user can act on: the server unreachable (which server,
 * which context, and whether the connection was refused, the name did not resolve or TLS
 * failed), a resource type missing (which CRD to apply), credentials refused, RBAC forbidden
 * (which verb on which resource in which namespace, for which service account), an invalid
 * object (which field and why), a conflict.
 */
import { ApiException, type KubeConfig } from "@kubernetes/client-node";

/** The parts of a `v1.Status` the messages use. */
export interface ApiStatus {
  readonly code: number;
  readonly reason: string;
  readonly message: string;
  readonly details?: {
    readonly name?: string;
    readonly group?: string;
    readonly kind?: string;
    readonly causes?: readonly {
      readonly field?: string;
      readonly message?: string;
      readonly reason?: string;
    }[];
  };
}

/** What an RBAC refusal refused, as the API server's message states it. */
export interface ForbiddenRequest {
  /** `system:serviceaccount:<namespace>:<name>` or a user name. */
  readonly user: string;
  readonly verb: string;
  /** The plural resource, with `/<subresource>` when one was refused. */
  readonly resource: string;
  readonly group: string;
  /** Unset: refused at the cluster scope. */
  readonly namespace?: string;
}

/** An API failure with the HTTP status the ports test for (`status`) and a message to act on. */
export class KubeApiError extends Error {
  /** The HTTP status (409, 404, 403, 422, …), or 0 when the server could not be reached. */
  readonly status: number;
  /** The Status reason (`Forbidden`, `Conflict`, …), or `CRDMissing`, `Unreachable`. */
  readonly reason: string;
  /** For a 403: what was refused, to whom. */
  readonly forbidden?: ForbiddenRequest;
  constructor(
    status: number,
    reason: string,
    message: string,
    options?: { cause?: unknown; forbidden?: ForbiddenRequest },
  ) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = "KubeApiError";
    this.status = status;
    this.reason = reason;
    if (options?.forbidden !== undefined) this.forbidden = options.forbidden;
  }
}

/** The v1.Status an ApiException carries, or undefined for anything else. */
export function apiStatusOf(err: unknown): ApiStatus | undefined {
  if (!(err instanceof ApiException)) return undefined;
  const body: unknown = err.body;
  let parsed: Partial<ApiStatus> = {};
  try {
    parsed = (typeof body === "string" ? JSON.parse(body) : body) as Partial<ApiStatus>;
  } catch {
    parsed = { message: String(body) };
  }
  return {
    code: err.code,
    reason: parsed?.reason ?? "",
    message: parsed?.message ?? String(body),
    ...(parsed?.details !== undefined ? { details: parsed.details } : {}),
  };
}

/** What was being done, for the message: `get upgrades.tranquil.dev auth-v2 in namespace shop`. */
export interface KubeAction {
  readonly verb: string;
  /** `<plural>.<group>` or a core plural, with `/status` for a subresource. */
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
  /** The server URL, for an unreachable server. */
  readonly server?: string;
  /** The kubeconfig context, for an unreachable server or refused credentials. */
  readonly context?: string;
}

/** The server URL and context name of a KubeConfig, to spread into a {@link KubeAction}. */
export function kubeTarget(kc: KubeConfig): { server?: string; context?: string } {
  const server = kc.getCurrentCluster()?.server;
  const context = kc.getCurrentContext();
  return {
    ...(server !== undefined ? { server } : {}),
    ...(context !== undefined && context !== "" ? { context } : {}),
  };
}

const CRD_HINTS: Readonly<Record<string, string>> = {
  "tranquil.dev":
    "the Upgrade CRD is not installed: kubectl apply -f manifests/crd/upgrades.tranquil.dev.yaml",
  "networking.istio.io": "Istio's CRDs are not installed: install Istio (or apply its CRDs) first",
};

/** The hint for a group whose resources the server does not serve (a CRD not installed). */
export function missingResourceHint(group: string, resource: string): string {
  return CRD_HINTS[group] ?? `the API server does not serve ${resource}`;
}

/** Turns any failure of an API call into a KubeApiError that says what to do. */
export function describeKubeError(err: unknown, action: KubeAction): KubeApiError {
  if (err instanceof KubeApiError) return err;
  const what = describeAction(action);
  const status = apiStatusOf(err);
  if (status === undefined) return unreachable(err, action, what);
  const group = action.resource.split("/")[0]?.split(".").slice(1).join(".") ?? "";
  switch (status.code) {
    case 401:
      return new KubeApiError(
        401,
        "Unauthorized",
        `cannot ${what}: the API server${serverAndContext(action)} did not accept the credentials (401 Unauthorized); the token may have expired or been revoked: refresh the kubeconfig's credentials`,
        { cause: err },
      );
    case 403:
      return forbidden(err, status, action, what);
    case 404: {
      // A list (no object name in the details) of a group whose CRD is missing, or the
      // server's own "could not find the requested resource": the type is not served.
      const unserved =
        status.message.includes("the server could not find the requested resource") ||
        (status.details?.name === undefined && CRD_HINTS[group] !== undefined);
      if (unserved) {
        const hint = missingResourceHint(group, action.resource);
        return new KubeApiError(404, "CRDMissing", `cannot ${what}: ${hint}`, { cause: err });
      }
      return new KubeApiError(404, status.reason || "NotFound", `cannot ${what}: ${status.message}`, {
        cause: err,
      });
    }
    case 409:
      return new KubeApiError(
        409,
        status.reason || "Conflict",
        status.reason === "AlreadyExists"
          ? `cannot ${what}: it already exists (409 AlreadyExists)`
          : `cannot ${what}: it changed since it was read (409 Conflict: ${status.message}); read it again and retry`,
        { cause: err },
      );
    case 422:
      return new KubeApiError(422, "Invalid", `the API server refused to ${what}: ${invalidFields(status)}`, {
        cause: err,
      });
    default:
      return new KubeApiError(status.code, status.reason, `cannot ${what}: ${status.message}`, {
        cause: err,
      });
  }
}

function describeAction(action: KubeAction): string {
  return `${action.verb} ${action.resource}${action.name !== undefined ? ` ${action.name}` : ""}${
    action.namespace !== undefined ? ` in namespace ${action.namespace}` : ""
  }`;
}

function serverAndContext(action: KubeAction): string {
  return `${action.server !== undefined ? ` ${action.server}` : ""}${
    action.context !== undefined ? ` (kubeconfig context "${action.context}")` : ""
  }`;
}

/** `field: why (reason)` for each cause of a 422, or the Status message when it lists none. */
function invalidFields(status: ApiStatus): string {
  const causes = (status.details?.causes ?? []).map(
    (c) =>
      `${c.field ?? "?"}: ${c.message ?? ""}${c.reason !== undefined && c.reason !== "" ? ` (${c.reason})` : ""}`,
  );
  return causes.length > 0 ? causes.join("; ") : status.message;
}

const FORBIDDEN =
  /User "(?<user>[^"]*)" cannot (?<verb>\S+) resource "(?<resource>[^"]+)" in API group "(?<group>[^"]*)"(?: in the namespace "(?<namespace>[^"]+)")?/;

/** What a 403 refused, parsed from the API server's message (its only machine-readable trace). */
export function forbiddenRequestOf(status: ApiStatus): ForbiddenRequest | undefined {
  const g = FORBIDDEN.exec(status.message)?.groups;
  if (g === undefined) return undefined;
  return {
    user: g["user"] ?? "",
    verb: g["verb"] ?? "",
    resource: g["resource"] ?? "",
    group: g["group"] ?? "",
    ...(g["namespace"] !== undefined ? { namespace: g["namespace"] } : {}),
  };
}

/** `the service account tranquil-system/tranquil-controller` or `the user alice`. */
export function describeSubject(user: string): string {
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(user);
  return sa !== null ? `the service account ${sa[1] ?? ""}/${sa[2] ?? ""}` : `the user "${user}"`;
}

function forbidden(err: unknown, status: ApiStatus, action: KubeAction, what: string): KubeApiError {
  const refused = forbiddenRequestOf(status);
  if (refused === undefined) {
    return new KubeApiError(
      403,
      "Forbidden",
      `RBAC forbids ${what}: ${status.message}; grant the verb "${action.verb}" on "${action.resource}" to the controller's service account (manifests/rbac/tranquil-controller.yaml)`,
      { cause: err },
    );
  }
  const resource = qualified(refused.resource, refused.group);
  const where =
    refused.namespace !== undefined ? `in namespace ${refused.namespace}` : "at the cluster scope";
  return new KubeApiError(
    403,
    "Forbidden",
    `RBAC forbids ${describeSubject(refused.user)} to ${refused.verb} ${resource} ${where}${
      refused.verb === action.verb && resource === action.resource ? "" : ` (while trying to ${what})`
    }; grant the verb "${refused.verb}" on "${refused.resource}" in API group "${refused.group}" to it (manifests/rbac/tranquil-controller.yaml)`,
    { cause: err, forbidden: refused },
  );
}

/** `upgrades.tranquil.dev/status`, `pods`. */
function qualified(resourceWithSub: string, group: string): string {
  if (group === "") return resourceWithSub;
  const [resource, sub] = resourceWithSub.split("/");
  return `${resource ?? ""}.${group}${sub !== undefined ? `/${sub}` : ""}`;
}

const TLS_CODES =
  /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH)/;

/** The innermost error code of a failure (client-node wraps the socket's error in `fetch failed`). */
export function networkCodeOf(err: unknown): { code?: string; message: string } {
  let current: unknown = err;
  let found: { code?: string; message: string } = {
    message: err instanceof Error ? err.message : String(err),
  };
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth++) {
    const e = current as {
      code?: unknown;
      message?: unknown;
      name?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    const text = typeof e.message === "string" ? e.message : undefined;
    if (typeof e.code === "string") found = { code: e.code, message: text ?? e.code };
    else if (e.name === "TimeoutError" || e.name === "AbortError")
      found = { code: e.name, message: text ?? e.name };
    const inner = Array.isArray(e.errors) ? (e.errors as unknown[])[0] : undefined;
    current = e.cause ?? inner;
  }
  return found;
}

function unreachable(err: unknown, action: KubeAction, what: string): KubeApiError {
  const { code, message } = networkCodeOf(err);
  const server = serverAndContext(action);
  let why: string;
  if (code === "ECONNREFUSED") {
    why = `the API server${server} refused the connection (ECONNREFUSED): is the cluster running, and is this the right context?`;
  } else if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    why = `the API server's host${server} does not resolve (${code}): check the server URL in the kubeconfig`;
  } else if (code !== undefined && TLS_CODES.test(code)) {
    why = `the TLS connection to the API server${server} failed (${code}: ${message}): the kubeconfig's certificate-authority does not match the server's certificate`;
  } else if (
    code === "TimeoutError" ||
    code === "AbortError" ||
    code === "ETIMEDOUT" ||
    code === "UND_ERR_CONNECT_TIMEOUT"
  ) {
    why = `the API server${server} did not answer in time (${code}): check the network path to it`;
  } else {
    why = `the API server${server} cannot be reached (${code !== undefined ? `${code}: ` : ""}${message}): check the kubeconfig context and the network`;
  }
  return new KubeApiError(0, "Unreachable", `cannot ${what}: ${why}`, { cause: err });
}
