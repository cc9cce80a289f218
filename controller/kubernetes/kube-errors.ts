/**
 * Kubernetes API failures in words a user can act on: the server unreachable (which server),
 * a resource type missing (which CRD to apply), RBAC forbidden (which verb on which resource
 * in which namespace, for whom), an invalid object (which field and why), a conflict.
 */
import { ApiException } from "@kubernetes/client-node";

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

/** An API failure with the HTTP status the ports test for (`status`) and a message to act on. */
export class KubeApiError extends Error {
  /** The HTTP status (409, 404, 403, 422, …), or 0 when the server could not be reached. */
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "KubeApiError";
    this.status = status;
    this.reason = reason;
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
    reason: parsed.reason ?? "",
    message: parsed.message ?? String(body),
    ...(parsed.details !== undefined ? { details: parsed.details } : {}),
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
}

const CRD_HINTS: Readonly<Record<string, string>> = {
  "tranquil.dev":
    "the Upgrade CRD is not installed: kubectl apply -f manifests/crd/upgrades.tranquil.dev.yaml",
  "networking.istio.io": "Istio's CRDs are not installed: install Istio (or apply its CRDs) first",
};

/** Turns any failure of an API call into a KubeApiError that says what to do. */
export function describeKubeError(err: unknown, action: KubeAction): KubeApiError {
  if (err instanceof KubeApiError) return err;
  const what = `${action.verb} ${action.resource}${action.name !== undefined ? ` ${action.name}` : ""}${
    action.namespace !== undefined ? ` in namespace ${action.namespace}` : ""
  }`;
  const status = apiStatusOf(err);
  if (status === undefined) {
    const detail = err instanceof Error ? err.message : String(err);
    return new KubeApiError(
      0,
      "Unreachable",
      `cannot ${what}: the API server${action.server !== undefined ? ` ${action.server}` : ""} cannot be reached (${detail}); check the kubeconfig context and the network`,
      { cause: err },
    );
  }
  const group = action.resource.split("/")[0]?.split(".").slice(1).join(".") ?? "";
  if (status.code === 404 && status.details?.name === undefined) {
    const hint = CRD_HINTS[group];
    if (hint !== undefined)
      return new KubeApiError(404, "CRDMissing", `cannot ${what}: ${hint}`, { cause: err });
  }
  if (status.code === 404 && status.message.includes("the server could not find the requested resource")) {
    const hint = CRD_HINTS[group] ?? `the API server does not serve ${action.resource}`;
    return new KubeApiError(404, "CRDMissing", `cannot ${what}: ${hint}`, { cause: err });
  }
  if (status.code === 403) {
    return new KubeApiError(
      403,
      "Forbidden",
      `RBAC forbids ${what}: ${status.message}; grant the verb "${action.verb}" on "${action.resource}" to the controller's service account (manifests/rbac)`,
      { cause: err },
    );
  }
  if (status.code === 422) {
    const causes = (status.details?.causes ?? [])
      .map((c) => `${c.field ?? "?"}: ${c.message ?? c.reason ?? ""}`)
      .join("; ");
    return new KubeApiError(
      422,
      "Invalid",
      `the API server refused to ${what}: ${causes || status.message}`,
      {
        cause: err,
      },
    );
  }
  return new KubeApiError(status.code, status.reason, `cannot ${what}: ${status.message}`, { cause: err });
}
