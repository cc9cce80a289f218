/**
 * The controller's ServiceAccount on the real API server, with the RBAC the install ships:
 * what the ClusterRole and the Role grant works, what they do not grant is refused with a 403
 * that the error messages name (verb, resource, namespace, service account).
 */
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  V1MicroTime,
  type KubeConfig,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeKubeError, type KubeApiError } from "../../controller/kubernetes/kube-errors.js";
import { startKubeTestEnv, type KubeTestEnv } from "./support/kube-test-env.js";
import { controllerKubeConfig } from "./support/service-account.js";

const UPGRADES = { group: "tranquil.dev", version: "v1alpha1", plural: "upgrades" };

/** The KubeApiError a failed call becomes. */
async function refusal(call: Promise<unknown>, action: Parameters<typeof describeKubeError>[1]) {
  try {
    await call;
  } catch (err) {
    return describeKubeError(err, action);
  }
  throw new Error(`${action.verb} ${action.resource} was allowed`);
}

describe("the controller's ServiceAccount", { timeout: 60_000 }, () => {
  let env: KubeTestEnv;
  let sa: KubeConfig;
  beforeAll(async () => {
    env = await startKubeTestEnv();
    await env.namespace("shop");
    sa = await controllerKubeConfig(env.kc);
  }, 120_000);
  afterAll(async () => {
    await env?.stop();
  });

  it("authenticates as system:serviceaccount:tranquil-system:tranquil-controller in its own namespace", () => {
    expect(sa.getCurrentCluster()?.server).toBe(env.cp.server);
    expect(sa.getContextObject(sa.getCurrentContext())?.namespace).toBe("tranquil-system");
    expect(sa.getCurrentUser()?.token?.split(".")).toHaveLength(3);
  });

  it("lists Upgrades in every namespace and writes the leader Lease in tranquil-system", async () => {
    const list = (await sa.makeApiClient(CustomObjectsApi).listClusterCustomObject(UPGRADES)) as {
      items: unknown[];
    };
    expect(list.items).toEqual([]);
    const lease = await sa.makeApiClient(CoordinationV1Api).createNamespacedLease({
      namespace: "tranquil-system",
      body: {
        metadata: { name: "probe" },
        spec: { holderIdentity: "probe", renewTime: new V1MicroTime(Date.now()) },
      },
    });
    expect(lease.spec?.holderIdentity).toBe("probe");
  });

  it("may not list Secrets: the 403 names the verb, the resource, the namespace and the account", async () => {
    const err: KubeApiError = await refusal(
      sa.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace: "shop" }),
      { verb: "list", resource: "secrets", namespace: "shop" },
    );
    expect(err.status).toBe(403);
    expect(err.forbidden).toEqual({
      user: "system:serviceaccount:tranquil-system:tranquil-controller",
      verb: "list",
      resource: "secrets",
      group: "",
      namespace: "shop",
    });
    expect(err.message).toBe(
      'RBAC forbids the service account tranquil-system/tranquil-controller to list secrets in namespace shop; grant the verb "list" on "secrets" in API group "" to it (manifests/rbac/tranquil-controller.yaml)',
    );
  });

  it("may write Leases only in its own namespace, and may not delete Upgrades", async () => {
    const lease = await refusal(
      sa.makeApiClient(CoordinationV1Api).createNamespacedLease({
        namespace: "shop",
        body: { metadata: { name: "probe" }, spec: {} },
      }),
      { verb: "create", resource: "leases.coordination.k8s.io", namespace: "shop" },
    );
    expect(lease.message).toMatch(
      /^RBAC forbids the service account tranquil-system\/tranquil-controller to create leases\.coordination\.k8s\.io in namespace shop; /,
    );
    const upgrades = await refusal(
      sa
        .makeApiClient(CustomObjectsApi)
        .deleteNamespacedCustomObject({ ...UPGRADES, namespace: "shop", name: "x" }),
      { verb: "delete", resource: "upgrades.tranquil.dev", namespace: "shop", name: "x" },
    );
    expect(upgrades.forbidden).toMatchObject({ verb: "delete", resource: "upgrades", group: "tranquil.dev" });
  });

  it("can be made again: applying the manifest twice changes nothing and gives a working token", async () => {
    const again = await controllerKubeConfig(env.kc);
    const list = (await again.makeApiClient(CustomObjectsApi).listClusterCustomObject(UPGRADES)) as {
      items: unknown[];
    };
    expect(list.items).toEqual([]);
  });
});
