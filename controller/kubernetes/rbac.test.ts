import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  controllerRbacPath,
  describePermission,
  loadControllerRbac,
  RbacManifestError,
  requiredPermissions,
} from "./rbac.js";

/** What the backend needs, written out once more by hand: the manifest must say exactly this. */
const EXPECTED: Record<string, readonly string[]> = {
  "upgrades.tranquil.dev": ["get", "list", "watch", "create", "update", "patch"],
  "upgrades.tranquil.dev/status": ["get", "update", "patch"],
  "virtualservices.networking.istio.io": ["get", "list", "watch", "create", "update", "patch", "delete"],
  "destinationrules.networking.istio.io": ["get", "list", "watch", "create", "update", "patch", "delete"],
  "gateways.networking.istio.io": ["get", "list", "watch"],
  "serviceentries.networking.istio.io": ["get", "list", "watch"],
  "deployments.apps": ["get", "list", "watch", "create", "update", "patch", "delete"],
  "horizontalpodautoscalers.autoscaling": ["get", "list", "watch", "create", "update", "delete"],
  pods: ["get", "list", "watch"],
  services: ["get", "list", "watch"],
  "endpointslices.discovery.k8s.io": ["get", "list", "watch"],
  "events.events.k8s.io": ["create", "patch", "update", "list"],
  namespaces: ["get"],
  secrets: ["get"],
  "deployments.apps/scale": ["get", "update", "patch"],
  "httproutes.gateway.networking.k8s.io": ["list"],
  "grpcroutes.gateway.networking.k8s.io": ["list"],
  "authorizationpolicies.security.istio.io": ["list"],
};

describe("the controller's RBAC manifest", () => {
  const dir = mkdtemp(join(tmpdir(), "tranquil-rbac-"));
  afterAll(async () => rm(await dir, { recursive: true, force: true }));

  it("is found from the source tree and binds one ServiceAccount to its ClusterRole and Role", () => {
    expect(controllerRbacPath()).toMatch(/manifests\/rbac\/tranquil-controller\.yaml$/);
    const rbac = loadControllerRbac();
    expect(rbac.serviceAccount).toEqual({ name: "tranquil-controller", namespace: "tranquil-system" });
    expect(rbac.clusterRole.name).toBe("tranquil-controller");
    expect(rbac.role.namespace).toBe("tranquil-system");
    expect(rbac.objects.map((o) => o.kind)).toEqual([
      "ServiceAccount",
      "ClusterRole",
      "ClusterRoleBinding",
      "Role",
      "RoleBinding",
    ]);
  });

  it("grants exactly the backend's verbs in the watched namespaces, and only Lease verbs in its own", () => {
    const perms = requiredPermissions();
    const watched: Record<string, string[]> = {};
    for (const p of perms.filter((q) => q.scope === "watched")) {
      const [verb = "", resource = ""] = describePermission(p).split(" ");
      (watched[resource] ??= []).push(verb);
    }
    expect(watched).toEqual(EXPECTED);
    expect(perms.filter((p) => p.scope === "controller").map(describePermission)).toEqual([
      "get leases.coordination.k8s.io",
      "create leases.coordination.k8s.io",
      "update leases.coordination.k8s.io",
    ]);
    expect(perms.find((p) => p.subresource === "status")).toEqual({
      group: "tranquil.dev",
      resource: "upgrades",
      subresource: "status",
      verb: "get",
      scope: "watched",
    });
  });

  it.each([
    [
      "a ClusterRoleBinding to another role",
      (y: string) => y.replace(/name: tranquil-controller\nsubjects/, "name: other\nsubjects"),
    ],
    ["no Role", (y: string) => y.replace("kind: Role\n", "kind: Unused\n")],
    [
      "a RoleBinding for another account",
      (y: string) => y.replace(/(RoleBinding[\s\S]*subjects:[\s\S]*name: )tranquil-controller/, "$1someone"),
    ],
  ])("refuses a manifest with %s, saying what is wrong", async (_label, edit) => {
    const original = await readFile(controllerRbacPath(), "utf8");
    const path = join(await dir, "edited.yaml");
    await writeFile(path, edit(original));
    expect(edit(original)).not.toBe(original);
    expect(() => loadControllerRbac(path)).toThrow(RbacManifestError);
    expect(() => loadControllerRbac(path)).toThrow(
      /edited\.yaml (must hold one|has a \w+Binding that does not bind)/,
    );
  });
});
