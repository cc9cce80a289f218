/**
 * The controller's RBAC, read from the manifest the install ships
 * (`manifests/rbac/tranquil-controller.yaml`): its ServiceAccount, the ClusterRole for what it
 * watches and writes in every watched namespace, and the Role for the leader Lease in its own
 * namespace. The start-up check asks for exactly these permissions, so the manifest and the
 * check cannot disagree.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { loadAllYaml, type V1PolicyRule } from "@kubernetes/client-node";

/** Where the manifest lives, relative to the repository (or the installed package) root. */
export const CONTROLLER_RBAC_MANIFEST = join("manifests", "rbac", "tranquil-controller.yaml");

/** Where a permission applies: the namespaces the controller watches, or its own namespace. */
export type PermissionScope = "watched" | "controller";

/** One verb on one resource (or subresource) the controller needs. */
export interface RequiredPermission {
  /** The API group; "" for the core group. */
  readonly group: string;
  /** The plural resource name, without the subresource. */
  readonly resource: string;
  readonly subresource?: string;
  readonly verb: string;
  readonly scope: PermissionScope;
}

/** The manifest's parts, as the controller and its tests use them. */
export interface ControllerRbac {
  readonly serviceAccount: { readonly name: string; readonly namespace: string };
  readonly clusterRole: { readonly name: string; readonly rules: readonly V1PolicyRule[] };
  readonly role: {
    readonly name: string;
    readonly namespace: string;
    readonly rules: readonly V1PolicyRule[];
  };
  /** Every object of the manifest, in order, as client-node models (for applying it). */
  readonly objects: readonly ManifestObject[];
}

/** An object of the manifest. */
export interface ManifestObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly rules?: readonly V1PolicyRule[];
  readonly roleRef?: { readonly kind: string; readonly name: string };
  readonly subjects?: readonly {
    readonly kind: string;
    readonly name: string;
    readonly namespace?: string;
  }[];
}

/** Thrown when the manifest is missing or lacks a part the controller relies on. */
export class RbacManifestError extends Error {
  constructor(path: string, problem: string, options?: ErrorOptions) {
    super(`the RBAC manifest ${path} ${problem}`, options);
    this.name = "RbacManifestError";
  }
}

/**
 * The manifest's path: found from this module upwards, so it resolves both in the source tree
 * (`controller/kubernetes/`) and in the build output (`dist/controller/kubernetes/`).
 */
export function controllerRbacPath(from: string = import.meta.dirname): string {
  for (let dir = from, i = 0; i < 6; i++, dir = dirname(dir)) {
    const candidate = join(dir, CONTROLLER_RBAC_MANIFEST);
    if (existsSync(candidate)) return candidate;
  }
  throw new RbacManifestError(CONTROLLER_RBAC_MANIFEST, `was not found above ${from}`);
}

let cached: ControllerRbac | undefined;

/** Reads and checks the manifest (once per process for the default path). */
export function loadControllerRbac(path?: string): ControllerRbac {
  if (path === undefined && cached !== undefined) return cached;
  const file = path ?? controllerRbacPath();
  let objects: ManifestObject[];
  try {
    objects = (loadAllYaml(readFileSync(file, "utf8")) as (ManifestObject | null)[]).filter(
      (o): o is ManifestObject => o !== null,
    );
  } catch (err) {
    throw new RbacManifestError(file, `cannot be read: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  const rbac = checkManifest(file, objects);
  if (path === undefined) cached = rbac;
  return rbac;
}

function checkManifest(file: string, objects: ManifestObject[]): ControllerRbac {
  const one = (kind: string): ManifestObject => {
    const found = objects.filter((o) => o.kind === kind);
    if (found.length !== 1) throw new RbacManifestError(file, `must hold one ${kind}, not ${found.length}`);
    return found[0] as ManifestObject;
  };
  const sa = one("ServiceAccount");
  const clusterRole = one("ClusterRole");
  const role = one("Role");
  const saNamespace = sa.metadata.namespace;
  if (saNamespace === undefined)
    throw new RbacManifestError(file, "names no namespace for the ServiceAccount");
  const roleNamespace = role.metadata.namespace ?? saNamespace;
  for (const [bindingKind, target] of [
    ["ClusterRoleBinding", clusterRole],
    ["RoleBinding", role],
  ] as const) {
    const binding = one(bindingKind);
    const bindsSa = (binding.subjects ?? []).some(
      (s) => s.kind === "ServiceAccount" && s.name === sa.metadata.name && s.namespace === saNamespace,
    );
    if (binding.roleRef?.kind !== target.kind || binding.roleRef.name !== target.metadata.name || !bindsSa) {
      throw new RbacManifestError(
        file,
        `has a ${bindingKind} that does not bind ${target.kind} ${target.metadata.name} to ServiceAccount ${saNamespace}/${sa.metadata.name}`,
      );
    }
  }
  return {
    serviceAccount: { name: sa.metadata.name, namespace: saNamespace },
    clusterRole: { name: clusterRole.metadata.name, rules: clusterRole.rules ?? [] },
    role: { name: role.metadata.name, namespace: roleNamespace, rules: role.rules ?? [] },
    objects,
  };
}

/** Every verb on every resource the manifest grants, one entry each. */
export function requiredPermissions(
  rbac: ControllerRbac = loadControllerRbac(),
): readonly RequiredPermission[] {
  return [...expand(rbac.clusterRole.rules, "watched"), ...expand(rbac.role.rules, "controller")];
}

function expand(rules: readonly V1PolicyRule[], scope: PermissionScope): RequiredPermission[] {
  return rules.flatMap((rule) =>
    (rule.apiGroups ?? [""]).flatMap((group) =>
      (rule.resources ?? []).flatMap((full) => {
        const [resource = full, subresource] = full.split("/");
        return rule.verbs.map((verb) => ({
          group,
          resource,
          ...(subresource !== undefined ? { subresource } : {}),
          verb,
          scope,
        }));
      }),
    ),
  );
}

/** `list upgrades.tranquil.dev`, `update upgrades.tranquil.dev/status`, `watch pods`. */
export function describePermission(p: Omit<RequiredPermission, "scope">): string {
  const resource = p.group === "" ? p.resource : `${p.resource}.${p.group}`;
  return `${p.verb} ${resource}${p.subresource !== undefined ? `/${p.subresource}` : ""}`;
}
