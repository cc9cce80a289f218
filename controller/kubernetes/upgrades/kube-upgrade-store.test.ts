/**
 * KubeUpgradeStore against a real kube-apiserver and etcd: the shared UpgradeStore contract,
 * then what only the custom resource has — the status subresource, `kubectl annotate`
 * commands, RFC 3339 instants in the stored object, the CRD's schema refusing a bad spec, and
 * an informer that relists after a real 410 Gone.
 */
import {
  ApiextensionsV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { initialStatus } from "../../engine/status.js";
import { pendingCommands, type UpgradeStore } from "../../ports/upgrade-store.js";
import {
  describeUpgradeStoreContract,
  recordWatch,
  until,
} from "../../ports/testing/upgrade-store-contract.js";
import { busyStatus, SMALL_SPEC } from "../../ports/testing/upgrade-fixtures.js";
import { KubeUpgradeStore } from "./kube-upgrade-store.js";
import { UpgradeInvalidError, UpgradeNamespaceError } from "./upgrade-api-errors.js";
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

describeUpgradeStoreContract(
  "KubeUpgradeStore on kube-apiserver",
  async () => {
    const namespaces = [await cluster.namespace("contract"), await cluster.namespace("contract")] as const;
    const store = await KubeUpgradeStore.open({ kc: cluster.kc, namespaces });
    return { store, namespaces, remove: (key) => cluster.remove(key) };
  },
  (h) => h.store.close(),
);

/** The object as the API server keeps it, read with the admin's client. */
interface RawUpgrade {
  metadata: { generation: number; resourceVersion: string; annotations?: Record<string, string> };
  spec: unknown;
  status?: Record<string, unknown>;
}

function raw(namespace: string, name: string): Promise<RawUpgrade> {
  return cluster.admin.getNamespacedCustomObject({ ...UPGRADES, namespace, name }) as Promise<RawUpgrade>;
}

/** Every number in `value` with its path. */
function numbers(value: unknown, path: string): [string, number][] {
  if (typeof value === "number") return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => numbers(v, `${path}[${i}]`));
  if (typeof value === "object" && value !== null)
    return Object.entries(value).flatMap(([k, v]) => numbers(v, `${path}.${k}`));
  return [];
}

describe("KubeUpgradeStore on the custom resource", () => {
  let store: KubeUpgradeStore;
  let ns: string;

  beforeAll(async () => {
    ns = await cluster.namespace("kube");
    store = await KubeUpgradeStore.open({ kc: cluster.kc, namespaces: [ns] });
  });
  afterAll(async () => {
    await store?.close();
  });

  it("writes the status through the status subresource only: spec and generation stay; a spec write leaves the status", async () => {
    const created = await store.create({
      namespace: ns,
      name: "split",
      spec: SMALL_SPEC,
      status: initialStatus(Date.now()),
      createdAt: Date.now(),
    });
    const before = await raw(ns, "split");
    const written = await store.updateStatus(created, created.resourceVersion, busyStatus());
    const afterStatus = await raw(ns, "split");
    expect(afterStatus.spec).toEqual(before.spec);
    // Only spec changes move metadata.generation: the status write did not touch the spec.
    expect(afterStatus.metadata.generation).toBe(before.metadata.generation);
    expect(afterStatus.metadata.resourceVersion).toBe(written.resourceVersion);

    await store.updateSpec(written, written.resourceVersion, { ...SMALL_SPEC, paused: true });
    const afterSpec = await raw(ns, "split");
    expect(afterSpec.metadata.generation).toBe(before.metadata.generation + 1);
    expect(afterSpec.spec).toEqual({ ...SMALL_SPEC, paused: true });
    expect(afterSpec.status).toEqual(afterStatus.status);
  });

  it("reads an Upgrade made with kubectl apply as new, and sees a command given with kubectl annotate until acknowledged", async () => {
    // What `kubectl apply` creates: no status, which the API server would drop anyway.
    const applied = (await cluster.admin.createNamespacedCustomObject({
      ...UPGRADES,
      namespace: ns,
      body: {
        apiVersion: "tranquil.dev/v1alpha1",
        kind: "Upgrade",
        metadata: { name: "cmd" },
        spec: SMALL_SPEC,
      },
    })) as { metadata: { creationTimestamp: string } };
    const fresh = await store.get({ namespace: ns, name: "cmd" });
    expect(fresh.status).toEqual(initialStatus(Date.parse(applied.metadata.creationTimestamp)));
    const watch = recordWatch(store);
    // What `kubectl annotate --overwrite upgrade cmd commands.tranquil.dev/promote=<token>` sends.
    await cluster.admin.patchNamespacedCustomObject(
      {
        ...UPGRADES,
        namespace: ns,
        name: "cmd",
        body: { metadata: { annotations: { "commands.tranquil.dev/promote": "tok-1" } } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await until(
      () => watch.events.some((e) => e.upgrade.name === "cmd" && pendingCommands(e.upgrade).length > 0),
      "the annotated command in a watch event",
    );
    const u = await store.get({ namespace: ns, name: "cmd" });
    expect(pendingCommands(u)).toEqual([{ kind: "promote", token: "tok-1" }]);
    const handled = await store.updateStatus(u, u.resourceVersion, {
      ...u.status,
      engine: { ...u.status.engine, handledCommands: ["tok-1"] },
    });
    expect(pendingCommands(handled)).toEqual([]);
    expect(pendingCommands(await store.get(u))).toEqual([]);
    expect((await raw(ns, "cmd")).metadata.annotations?.["commands.tranquil.dev/promote"]).toBe("tok-1");
    watch.stop();
  });

  it("stores every instant as an RFC 3339 string, to the millisecond, and no epoch milliseconds", async () => {
    await store.create({
      namespace: ns,
      name: "times",
      spec: SMALL_SPEC,
      status: busyStatus(),
      createdAt: 0,
    });
    const stored = await raw(ns, "times");
    const status = stored.status ?? {};
    // Every other number of the fixture is small: an epoch-ms instant would be above 1e12.
    expect(numbers(status, "status").filter(([, n]) => n > 1e12)).toEqual([]);
    const history = status.history as { at: unknown }[];
    expect(history[0]?.at).toBe("2026-12-02T19:00:00.123Z");
    const engine = status.engine as Record<string, unknown>;
    const instants = [
      engine.stageSince,
      engine.waitingSince,
      engine.confirmedAt,
      engine.lastPinWriteAt,
      engine.revertDetectedAt,
      ...(engine.pins as Record<string, unknown>[]).flatMap((p) => [p.pinnedAt, p.lastSeenAt]),
      ...Object.values(engine.instants as Record<string, unknown>),
      ...(status.conditions as Record<string, unknown>[]).map((c) => c.lastTransitionTime),
    ];
    expect(instants).toHaveLength(5 + 2 + 11 + 1);
    for (const instant of instants) expect(instant).toMatch(/^2026-12-02T19:\d\d:\d\d\.\d{3}Z$/);
    expect((await store.get({ namespace: ns, name: "times" })).status).toEqual(busyStatus());
  });

  it("refuses a spec or status that breaks the CRD's schema with 422 and the API server's message naming the field", async () => {
    const created = await store.create({
      namespace: ns,
      name: "schema",
      spec: SMALL_SPEC,
      status: initialStatus(0),
      createdAt: 0,
    });
    const badSpec = { services: [{ name: "Auth_Service", from: "v1", to: "v2" }] };
    const refusals = [
      () => store.updateSpec(created, created.resourceVersion, badSpec),
      () =>
        store.create({
          namespace: ns,
          name: "schema-2",
          spec: badSpec,
          status: initialStatus(0),
          createdAt: 0,
        }),
      () =>
        store.updateStatus(created, created.resourceVersion, { ...busyStatus(), phase: "Sleeping" as never }),
    ];
    const fields = ["spec.services[0].name", "spec.services[0].name", "status.phase"];
    for (const [i, call] of refusals.entries()) {
      const err = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UpgradeInvalidError);
      const invalid = err as UpgradeInvalidError;
      expect(invalid.status).toBe(422);
      expect(invalid.message).toContain(fields[i]);
      expect(invalid.causes.map((c) => c.field)).toContain(fields[i]);
    }
    // The CRD checks status instants as date-time too, whoever writes them.
    const stored = (await raw(ns, "schema")) as RawUpgrade & {
      apiVersion: string;
      kind: string;
      metadata: object;
    };
    const history = [{ at: "yesterday", phase: "Validating", stage: "validate", message: "x" }];
    const err = await cluster.admin
      .replaceNamespacedCustomObjectStatus({
        ...UPGRADES,
        namespace: ns,
        name: "schema",
        body: { ...stored, status: { ...stored.status, history } },
      })
      .then(
        () => undefined,
        (e: unknown) => e as { code: number; body: string },
      );
    expect(err?.code).toBe(422);
    expect(err?.body).toContain("status.history[0].at");
  });
});

describe("KubeUpgradeStore's namespaces", () => {
  it("refuses a namespace it does not serve (400), and a namespace that does not exist (404)", async () => {
    const ns = await cluster.namespace("served");
    const fresh = (namespace: string) => ({
      namespace,
      name: "auth-v2",
      spec: SMALL_SPEC,
      status: initialStatus(0),
      createdAt: 0,
    });
    const one = await KubeUpgradeStore.open({ kc: cluster.kc, namespaces: [ns] });
    const all = await KubeUpgradeStore.open({ kc: cluster.kc });
    try {
      const unserved = await one.create(fresh("elsewhere")).catch((e: unknown) => e as UpgradeNamespaceError);
      expect(unserved).toBeInstanceOf(UpgradeNamespaceError);
      expect(unserved).toMatchObject({ status: 400 });
      expect((unserved as Error).message).toBe(
        `namespace elsewhere is not served by this controller (it serves ${ns}); add it to the controller's namespaces`,
      );
      await expect(one.list("elsewhere")).rejects.toBeInstanceOf(UpgradeNamespaceError);
      const missing = await all
        .create(fresh("no-such-namespace"))
        .catch((e: unknown) => e as UpgradeNamespaceError);
      expect(missing).toMatchObject({ status: 404, message: "namespace no-such-namespace does not exist" });
    } finally {
      await one.close();
      await all.close();
    }
  });
});

describe("KubeUpgradeStore's watch across a 410 Gone", () => {
  it("relists and delivers a resync when the API server's watch cache no longer has its resourceVersion", async () => {
    const ns = await cluster.namespace("gone");
    const store: UpgradeStore = await KubeUpgradeStore.open({
      kc: cluster.kc,
      backoff: { initialMs: 100, maxMs: 500 },
    });
    const lists = vi.spyOn(CustomObjectsApi.prototype, "listCustomObjectForAllNamespaces");
    try {
      const watch = recordWatch(store);
      await until(() => watch.resyncs.length === 1, "the first resync");
      const kept = await store.create({
        namespace: ns,
        name: "kept",
        spec: SMALL_SPEC,
        status: initialStatus(0),
        createdAt: 0,
      });
      const gone = await store.create({
        namespace: ns,
        name: "gone",
        spec: SMALL_SPEC,
        status: initialStatus(0),
        createdAt: 0,
      });
      await until(
        () => watch.events.some((e) => e.upgrade.resourceVersion === gone.resourceVersion),
        "both created",
      );

      // Deleted before the watch is cut: the last event the informer saw is this delete.
      await cluster.remove(gone);
      await until(
        () => watch.events.some((e) => e.type === "DELETED" && e.upgrade.name === "gone"),
        "DELETED",
      );

      // Changing the CRD makes the API server build a new watch cache for Upgrades from the
      // current revision (after the CRD's own write) and end the watches on the old one. The
      // informer resumes from the delete's resourceVersion, older than anything the new cache
      // holds: a real 410 Gone ("too old resource version"), after which it lists again.
      const crds = cluster.kc.makeApiClient(ApiextensionsV1Api);
      const crd = await crds.readCustomResourceDefinition({ name: "upgrades.tranquil.dev" });
      const version = crd.spec.versions[0]!;
      version.additionalPrinterColumns = [
        ...(version.additionalPrinterColumns ?? []),
        { name: "Epoch", type: "integer", jsonPath: ".status.configEpoch" },
      ];
      const listsBefore = lists.mock.calls.length;
      const resyncsBefore = watch.resyncs.length;
      await crds.replaceCustomResourceDefinition({ name: crd.metadata!.name!, body: crd });

      // Only a 410 makes the informer list again: a plain reconnect resumes the watch.
      await until(() => lists.mock.calls.length > listsBefore, "a relist", 30_000);
      await until(() => watch.resyncs.length > resyncsBefore, "a resync after the relist", 30_000);
      const resync = watch.resyncs.slice(resyncsBefore).find((all) => !all.some((u) => u.name === "gone"));
      expect(resync?.map((u) => u.name)).toContain(kept.name);
      await until(
        () => watch.events.some((e) => e.type === "DELETED" && e.upgrade.name === "gone"),
        "DELETED",
      );
      // And the watch goes on: a later write arrives as an event.
      const later = await store.updateSpec(kept, (await store.get(kept)).resourceVersion, {
        ...SMALL_SPEC,
        paused: true,
      });
      await until(
        () => watch.events.some((e) => e.upgrade.resourceVersion === later.resourceVersion),
        "a later event",
      );
      watch.stop();
    } finally {
      lists.mockRestore();
      await store.close();
    }
  }, 60_000);
});
