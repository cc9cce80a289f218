/**
 * What KubeUpgradeStore says when the cluster does not let it work: RBAC refusing a verb (a
 * real service account with a token from the TokenRequest API, granted the store's rules one
 * group at a time), and the Upgrade CRD not installed (deleted at the end of this file).
 */
import { ApiextensionsV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initialStatus } from "../../engine/status.js";
import { pendingCommands } from "../../ports/upgrade-store.js";
import { recordWatch, until } from "../../ports/testing/upgrade-store-contract.js";
import { busyStatus, SMALL_SPEC } from "../../ports/testing/upgrade-fixtures.js";
import { KubeUpgradeStore } from "./kube-upgrade-store.js";
import { UpgradeCrdMissingError, UpgradeForbiddenError } from "./upgrade-api-errors.js";
import {
  CLUSTER_START_TIMEOUT_MS,
  startUpgradeCluster,
  UPGRADES,
  type UpgradeCluster,
} from "./testing/upgrade-cluster.js";

let cluster: UpgradeCluster;

beforeAll(async () => {
  cluster = await startUpgradeCluster();
}, CLUSTER_START_TIMEOUT_MS);

afterAll(async () => {
  await cluster?.stop();
});

/** The error `call` fails with (or a failure of the test when it does not fail). */
async function failure(call: () => Promise<unknown>): Promise<Error> {
  try {
    await call();
  } catch (err) {
    return err as Error;
  }
  throw new Error("the call succeeded where it should have been refused");
}

/**
 * Retries `call` while it is refused `verb` (`"create upgrades"`): the grant just made takes
 * a moment to reach the authorizer, which reads roles from a cache.
 */
async function granted<T>(verb: string, call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      const stillRefused =
        err instanceof UpgradeForbiddenError && err.message.startsWith(`forbidden to ${verb} in`);
      if (!stillRefused || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe("KubeUpgradeStore under RBAC", () => {
  let ns: string;
  let sa: KubeConfig;
  let rbac: RbacAuthorizationV1Api;

  /** Grants the controller's service account `verbs` on `resource` in the namespace. */
  async function grant(name: string, resource: string, verbs: string[]): Promise<void> {
    await rbac.createNamespacedRole({
      namespace: ns,
      body: { metadata: { name }, rules: [{ apiGroups: [UPGRADES.group], resources: [resource], verbs }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
        subjects: [{ kind: "ServiceAccount", name: "tranquil-controller", namespace: ns }],
      },
    });
  }

  beforeAll(async () => {
    ns = await cluster.namespace("access");
    rbac = cluster.kc.makeApiClient(RbacAuthorizationV1Api);
    const core = cluster.kc.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({
      namespace: ns,
      body: { metadata: { name: "tranquil-controller" } },
    });
    const token = await core.createNamespacedServiceAccountToken({
      name: "tranquil-controller",
      namespace: ns,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    sa = new KubeConfig();
    sa.loadFromOptions({
      clusters: [
        {
          name: "local",
          server: cluster.cp.server,
          caData: Buffer.from(cluster.cp.caPem).toString("base64"),
        },
      ],
      users: [{ name: "controller", token: token.status?.token ?? "" }],
      contexts: [{ name: "local", cluster: "local", user: "controller" }],
      currentContext: "local",
    });
  });

  it("names the verb and resource refused, and works with exactly the rules it needs", async () => {
    const listing = await failure(() => KubeUpgradeStore.open({ kc: sa, namespaces: [ns] }));
    expect(listing).toBeInstanceOf(UpgradeForbiddenError);
    expect(listing.message).toMatch(
      new RegExp(
        `^forbidden to list upgrades in namespace ${ns}: grant the controller's account the verb "list" on "upgrades" in API group tranquil\\.dev \\(the API server said: .+\\)$`,
      ),
    );
    expect((listing as UpgradeForbiddenError).status).toBe(403);

    await grant("upgrades-list", "upgrades", ["list"]);
    const watching = await failure(() =>
      granted("list upgrades", () => KubeUpgradeStore.open({ kc: sa, namespaces: [ns] })),
    );
    expect(watching.message).toMatch(/^forbidden to watch upgrades in namespace/);

    await grant("upgrades-read", "upgrades", ["get", "watch"]);
    const store = await granted("watch upgrades", () => KubeUpgradeStore.open({ kc: sa, namespaces: [ns] }));
    try {
      const fresh = { namespace: ns, name: "rbac", spec: SMALL_SPEC, status: initialStatus(0), createdAt: 0 };
      expect((await failure(() => store.create(fresh))).message).toMatch(
        /^forbidden to create upgrades in namespace/,
      );

      await grant("upgrades-write", "upgrades", ["create", "update", "patch"]);
      const statusRefused = await failure(() => granted("create upgrades", () => store.create(fresh)));
      expect(statusRefused.message).toMatch(
        new RegExp(
          `^forbidden to update upgrades/status in namespace ${ns}: .* the verb "update" on "upgrades/status"`,
        ),
      );

      await grant("upgrades-status", "upgrades/status", ["update"]);
      const watch = recordWatch(store);
      let u = await store.get({ namespace: ns, name: "rbac" });
      const created = u;
      u = await granted("update upgrades/status", () =>
        store.updateStatus(created, created.resourceVersion, busyStatus()),
      );
      u = await store.setCommand(u, u.resourceVersion, { kind: "promote", token: "p1" });
      u = await store.updateSpec(u, u.resourceVersion, { ...SMALL_SPEC, paused: true });
      expect(u.status).toEqual(busyStatus());
      expect(pendingCommands(u)).toEqual([{ kind: "promote", token: "p1" }]);
      expect((await store.list(ns)).map((r) => r.name)).toEqual(["rbac"]);
      await until(
        () => watch.events.some((e) => e.upgrade.resourceVersion === u.resourceVersion),
        "the watch",
      );
      watch.stop();
    } finally {
      await store.close();
    }
  });
});

describe("KubeUpgradeStore without the Upgrade CRD", () => {
  it("says the CRD is not installed and how to install it, on open, on a read and to watchers", async () => {
    const ns = await cluster.namespace("nocrd");
    const store = await KubeUpgradeStore.open({ kc: cluster.kc, backoff: { initialMs: 100, maxMs: 200 } });
    try {
      await store.create({
        namespace: ns,
        name: "orphan",
        spec: SMALL_SPEC,
        status: initialStatus(0),
        createdAt: 0,
      });
      const watch = recordWatch(store);
      const crds = cluster.kc.makeApiClient(ApiextensionsV1Api);
      await crds.deleteCustomResourceDefinition({ name: "upgrades.tranquil.dev" });
      // The CRD's Upgrades go first, then the resource itself.
      await until(
        () => watch.events.some((e) => e.type === "DELETED"),
        "the Upgrade deleted with its CRD",
        30_000,
      );
      const message =
        "the Upgrade CRD is not installed: kubectl apply -f manifests/crd/upgrades.tranquil.dev.yaml";
      await until(
        () => watch.errors.some((e) => e instanceof UpgradeCrdMissingError),
        "a watch error",
        30_000,
      );
      expect(watch.errors.find((e) => e instanceof UpgradeCrdMissingError)?.message).toBe(message);

      const opening = await failure(() => KubeUpgradeStore.open({ kc: cluster.kc, namespaces: [ns] }));
      expect(opening).toBeInstanceOf(UpgradeCrdMissingError);
      expect(opening.message).toBe(message);
      const reading = await failure(() => store.get({ namespace: ns, name: "orphan" }));
      expect(reading).toBeInstanceOf(UpgradeCrdMissingError);
      watch.stop();
    } finally {
      await store.close();
    }
  }, 60_000);
});
