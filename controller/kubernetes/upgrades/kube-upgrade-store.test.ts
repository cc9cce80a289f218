/**
 * The UpgradeStore on the real API server: the shared contract, then what only the resource
 * has — the status subresource, commands given with a plain annotation as `kubectl annotate`
 * does, RFC 3339 instants in the stored object, schema refusals (422) and a missing CRD.
 */
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeTestEnv, type KubeTestEnv } from "../../../test/cluster/support/kube-test-env.js";
import { initialStatus } from "../../engine/status.js";
import { pendingCommands, UpgradeNotFoundError } from "../../ports/upgrade-store.js";
import { describeUpgradeStoreContract } from "../../ports/testing/upgrade-store-contract.js";
import { KubeUpgradeStore } from "./kube-upgrade-store.js";

const API = { group: "tranquil.dev", version: "v1alpha1", plural: "upgrades" };
const spec = { services: [{ name: "auth-service", from: "v1", to: "v2" }] };

describeUpgradeStoreContract("the Upgrade resource on a real API server", async () => {
  const env = await startKubeTestEnv();
  const namespaces = [await env.namespace("team-a"), await env.namespace("team-b")] as const;
  const store = new KubeUpgradeStore({ kc: env.kc, backoff: { initialMs: 200, maxMs: 2_000 } });
  const api = env.kc.makeApiClient(CustomObjectsApi);
  return {
    store,
    namespaces,
    remove: async (key) => {
      await api.deleteNamespacedCustomObject({ ...API, ...key });
    },
    close: async () => {
      await store.close();
      await env.stop();
    },
  };
});

describe("the Upgrade resource beyond the contract", { timeout: 60_000 }, () => {
  let env: KubeTestEnv;
  let store: KubeUpgradeStore;
  let api: CustomObjectsApi;
  const ns = "shop";
  beforeAll(async () => {
    env = await startKubeTestEnv();
    await env.namespace(ns);
    store = new KubeUpgradeStore({ kc: env.kc, namespaces: [ns] });
    api = env.kc.makeApiClient(CustomObjectsApi);
  }, 120_000);
  afterAll(async () => {
    await store.close();
    await env.stop();
  });

  const raw = async (name: string) =>
    (await api.getNamespacedCustomObject({ ...API, namespace: ns, name })) as {
      spec: unknown;
      status?: Record<string, unknown>;
      metadata: { resourceVersion: string };
    };

  it("reads an Upgrade applied without a status as a new one, and stores instants as RFC 3339 strings", async () => {
    await api.createNamespacedCustomObject({
      ...API,
      namespace: ns,
      body: { apiVersion: "tranquil.dev/v1alpha1", kind: "Upgrade", metadata: { name: "applied" }, spec },
    });
    const record = await store.get({ namespace: ns, name: "applied" });
    expect(record.status.phase).toBe("Validating");
    expect(record.status.history[0]?.at).toBe(record.createdAt);
    const saved = await store.updateStatus(record, record.resourceVersion, {
      ...record.status,
      engine: { ...record.status.engine, waitingSince: Date.UTC(2026, 11, 2, 19, 0, 0, 123) },
    });
    const stored = await raw("applied");
    expect((stored.status?.["engine"] as { waitingSince: unknown }).waitingSince).toBe(
      "2026-12-02T19:00:00.123Z",
    );
    expect(typeof (stored.status?.["history"] as { at: unknown }[])[0]?.at).toBe("string");
    expect(stored.spec).toEqual(spec);
    expect(saved.status.engine.waitingSince).toBe(Date.UTC(2026, 11, 2, 19, 0, 0, 123));
  });

  it("never touches the spec through the status subresource, even when the body carries one", async () => {
    const created = await store.create({
      namespace: ns,
      name: "apart",
      spec,
      status: initialStatus(Date.now()),
      createdAt: Date.now(),
    });
    const current = await raw("apart");
    await api.replaceNamespacedCustomObjectStatus({
      ...API,
      namespace: ns,
      name: "apart",
      body: { ...current, spec: { services: [{ name: "other", from: "v1", to: "v9" }] } },
    });
    expect((await raw("apart")).spec).toEqual(spec);
    expect(created.spec).toEqual(spec);
  });

  it("sees a command given with kubectl annotate alone, pending until acknowledged", async () => {
    const created = await store.create({
      namespace: ns,
      name: "annotated",
      spec,
      status: initialStatus(Date.now()),
      createdAt: Date.now(),
    });
    // What `kubectl annotate upgrade annotated commands.tranquil.dev/promote=123` sends.
    await api.patchNamespacedCustomObject(
      {
        ...API,
        namespace: ns,
        name: "annotated",
        body: { metadata: { annotations: { "commands.tranquil.dev/promote": "123" } } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const seen = await store.get(created);
    expect(pendingCommands(seen)).toEqual([{ kind: "promote", token: "123" }]);
    const acked = await store.updateStatus(seen, seen.resourceVersion, {
      ...seen.status,
      engine: { ...seen.status.engine, handledCommands: ["123"] },
    });
    expect(pendingCommands(acked)).toEqual([]);
  });

  it("refuses a spec that breaks the CRD schema with 422, naming the field", async () => {
    const err = await store
      .create({
        namespace: ns,
        name: "bad-steps",
        spec: { ...spec, strategy: { steps: [50, 101] } },
        status: initialStatus(Date.now()),
        createdAt: Date.now(),
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 422 });
    expect((err as Error).message).toMatch(/spec\.strategy\.steps\[1\]/);
    await expect(store.get({ namespace: ns, name: "bad-steps" })).rejects.toBeInstanceOf(
      UpgradeNotFoundError,
    );
  });
});

describe("the Upgrade resource without its CRD", { timeout: 60_000 }, () => {
  let env: KubeTestEnv;
  beforeAll(async () => {
    env = await startKubeTestEnv({ crds: false });
  }, 120_000);
  afterAll(async () => {
    await env.stop();
  });

  it("says which manifest to apply, on a read and on a watch", async () => {
    const store = new KubeUpgradeStore({ kc: env.kc, backoff: { initialMs: 100, maxMs: 200 } });
    await expect(store.list()).rejects.toThrow(
      /the Upgrade CRD is not installed: kubectl apply -f manifests\/crd\/upgrades.tranquil.dev.yaml/,
    );
    const errors: string[] = [];
    const stop = store.watch({ onEvent: () => undefined, onError: (e) => errors.push(e.message) });
    const end = Date.now() + 10_000;
    while (errors.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    stop();
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors[0]).toMatch(/the Upgrade CRD is not installed/);
  });
});
