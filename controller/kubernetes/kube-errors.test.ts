/**
 * API failures as a user reads them, each produced for real: a closed port, a name that does
 * not resolve, a server whose CA the kubeconfig lacks, a cluster without the CRDs, a token the
 * server does not know, RBAC refusals (namespaced, subresource, cluster scope), a schema
 * refusal (422) and conflicts (409).
 */
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, VersionApi } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../test/cluster/control-plane/processes.js";
import { startKubeTestEnv, type KubeTestEnv } from "../../test/cluster/support/kube-test-env.js";
import { controllerKubeConfig } from "../../test/cluster/support/service-account.js";
import {
  describeKubeError,
  kubeTarget,
  networkCodeOf,
  type KubeAction,
  type KubeApiError,
} from "./kube-errors.js";

/** What `call` fails with, as a KubeApiError for `action`. */
async function failure(call: () => Promise<unknown>, action: KubeAction): Promise<KubeApiError> {
  try {
    await call();
  } catch (err) {
    return describeKubeError(err, action);
  }
  throw new Error(`${action.verb} ${action.resource} did not fail`);
}

function kubeConfig(server: string, user: { token: string }, caPem?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: "c",
        server,
        ...(caPem !== undefined ? { caData: Buffer.from(caPem).toString("base64") } : {}),
      },
    ],
    users: [{ name: "u", ...user }],
    contexts: [{ name: "staging", cluster: "c", user: "u" }],
    currentContext: "staging",
  });
  return kc;
}

const LIST_UPGRADES = { verb: "list", resource: "upgrades.tranquil.dev" } as const;
const UPGRADES = { group: "tranquil.dev", version: "v1alpha1", plural: "upgrades" };

describe("API failures in words a user can act on", { timeout: 60_000 }, () => {
  let env: KubeTestEnv;
  beforeAll(async () => {
    // No CRDs: their absence is one of the failures.
    env = await startKubeTestEnv({ crds: false });
    await env.namespace("shop");
  }, 120_000);
  afterAll(async () => {
    await env?.stop();
  });

  it("names the server and the context when the connection is refused", async () => {
    const server = `https://127.0.0.1:${await freePort()}`;
    const kc = kubeConfig(server, { token: "t" });
    const err = await failure(() => kc.makeApiClient(VersionApi).getCode(), {
      verb: "get",
      resource: "version",
      ...kubeTarget(kc),
    });
    expect(err).toMatchObject({ status: 0, reason: "Unreachable" });
    expect(err.message).toBe(
      `cannot get version: the API server ${server} (kubeconfig context "staging") refused the connection (ECONNREFUSED): is the cluster running, and is this the right context?`,
    );
  });

  it("says the host does not resolve for a server name DNS does not know", async () => {
    const kc = kubeConfig("https://tranquil-no-such-host.invalid:6443", { token: "t" });
    const err = await failure(() => kc.makeApiClient(VersionApi).getCode(), {
      verb: "get",
      resource: "version",
      ...kubeTarget(kc),
    });
    expect(err.message).toMatch(
      /the API server's host https:\/\/tranquil-no-such-host\.invalid:6443 \(kubeconfig context "staging"\) does not resolve \((ENOTFOUND|EAI_AGAIN)\): check the server URL/,
    );
  });

  it("blames the certificate authority when TLS verification fails", async () => {
    const kc = kubeConfig(env.cp.server, { token: env.cp.token });
    const err = await failure(() => kc.makeApiClient(VersionApi).getCode(), {
      verb: "get",
      resource: "version",
      ...kubeTarget(kc),
    });
    expect(err.reason).toBe("Unreachable");
    expect(err.message).toMatch(
      /the TLS connection to the API server https:\/\/127\.0\.0\.1:\d+ .* failed \(\w+/,
    );
    expect(err.message).toContain("the kubeconfig's certificate-authority does not match");
  });

  it("tells which CRD to apply when the Upgrade or Istio resources are not served", async () => {
    const api = env.kc.makeApiClient(CustomObjectsApi);
    const upgrades = await failure(() => api.listClusterCustomObject(UPGRADES), LIST_UPGRADES);
    expect(upgrades).toMatchObject({ status: 404, reason: "CRDMissing" });
    expect(upgrades.message).toBe(
      "cannot list upgrades.tranquil.dev: the Upgrade CRD is not installed: kubectl apply -f manifests/crd/upgrades.tranquil.dev.yaml",
    );
    const vs = await failure(
      () =>
        api.listNamespacedCustomObject({
          group: "networking.istio.io",
          version: "v1",
          plural: "virtualservices",
          namespace: "shop",
        }),
      { verb: "list", resource: "virtualservices.networking.istio.io", namespace: "shop" },
    );
    expect(vs.message).toBe(
      "cannot list virtualservices.networking.istio.io in namespace shop: Istio's CRDs are not installed: install Istio (or apply its CRDs) first",
    );
    // A missing object of a served type is only that.
    const cm = await failure(
      () => env.kc.makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: "absent", namespace: "shop" }),
      { verb: "get", resource: "configmaps", namespace: "shop", name: "absent" },
    );
    expect(cm).toMatchObject({ status: 404, reason: "NotFound" });
  });

  it("says the credentials were refused for a token the server does not know", async () => {
    const kc = kubeConfig(env.cp.server, { token: "not-a-token" }, env.cp.caPem);
    const err = await failure(() => kc.makeApiClient(CoreV1Api).listNamespace(), {
      verb: "list",
      resource: "namespaces",
      ...kubeTarget(kc),
    });
    expect(err.status).toBe(401);
    expect(err.message).toContain(
      '(kubeconfig context "staging") did not accept the credentials (401 Unauthorized)',
    );
  });

  it("names the refused verb, subresource, scope and service account of an RBAC refusal", async () => {
    const sa = await controllerKubeConfig(env.kc);
    // The controller never writes a Deployment's status: the shipped RBAC does not grant it.
    const status = await failure(
      () =>
        sa.makeApiClient(AppsV1Api).replaceNamespacedDeploymentStatus({
          name: "orders",
          namespace: "shop",
          body: { metadata: { name: "orders", namespace: "shop" } },
        }),
      { verb: "update", resource: "deployments.apps/status", namespace: "shop", name: "orders" },
    );
    expect(status.forbidden).toEqual({
      user: "system:serviceaccount:tranquil-system:tranquil-controller",
      verb: "update",
      resource: "deployments/status",
      group: "apps",
      namespace: "shop",
    });
    expect(status.message).toMatch(
      /^RBAC forbids the service account tranquil-system\/tranquil-controller to update deployments\.apps\/status in namespace shop; grant the verb "update" on "deployments\/status" in API group "apps"/,
    );
    const namespaces = await failure(() => sa.makeApiClient(CoreV1Api).listNamespace(), {
      verb: "watch",
      resource: "namespaces",
    });
    expect(namespaces.message).toMatch(
      /to list namespaces at the cluster scope \(while trying to watch namespaces\); grant the verb "list" on "namespaces"/,
    );
  });

  it("lists each refused field and its reason for a 422", async () => {
    const err = await failure(
      () =>
        env.kc.makeApiClient(CoreV1Api).createNamespacedConfigMap({
          namespace: "shop",
          body: { metadata: { name: "Not_A_Name" }, data: { "bad key!": "x" } },
        }),
      { verb: "create", resource: "configmaps", namespace: "shop", name: "Not_A_Name" },
    );
    expect(err.status).toBe(422);
    expect(err.message).toMatch(
      /^the API server refused to create configmaps Not_A_Name in namespace shop: /,
    );
    expect(err.message).toMatch(/metadata\.name: Invalid value: "Not_A_Name": .* \(FieldValueInvalid\)/);
    expect(err.message).toMatch(/; data\[bad key!\]: Invalid value: "bad key!": .* \(FieldValueInvalid\)$/);
  });

  it("tells a stale write (re-read and retry) from a create of what exists", async () => {
    const core = env.kc.makeApiClient(CoreV1Api);
    const created = await core.createNamespacedConfigMap({
      namespace: "shop",
      body: { metadata: { name: "settings" }, data: { a: "1" } },
    });
    const version = created.metadata?.resourceVersion ?? "";
    await core.replaceNamespacedConfigMap({
      name: "settings",
      namespace: "shop",
      body: {
        metadata: { name: "settings", resourceVersion: version },
        data: { a: "2" },
      },
    });
    const action = { verb: "update", resource: "configmaps", namespace: "shop", name: "settings" };
    const stale = await failure(
      () =>
        core.replaceNamespacedConfigMap({
          name: "settings",
          namespace: "shop",
          body: {
            metadata: { name: "settings", resourceVersion: version },
            data: { a: "3" },
          },
        }),
      action,
    );
    expect(stale).toMatchObject({ status: 409, reason: "Conflict" });
    expect(stale.message).toMatch(
      /^cannot update configmaps settings in namespace shop: it changed since it was read .*; read it again and retry$/,
    );
    const exists = await failure(
      () => core.createNamespacedConfigMap({ namespace: "shop", body: { metadata: { name: "settings" } } }),
      { ...action, verb: "create" },
    );
    expect(exists.message).toBe(
      "cannot create configmaps settings in namespace shop: it already exists (409 AlreadyExists)",
    );
  });

  it("finds the socket's error code under the fetch error that wraps it", () => {
    const inner = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    const wrapped = new TypeError("fetch failed", { cause: new AggregateError([inner], "all failed") });
    expect(networkCodeOf(wrapped)).toEqual({
      code: "ECONNREFUSED",
      message: "connect ECONNREFUSED 127.0.0.1:1",
    });
    expect(networkCodeOf(new Error("plain"))).toEqual({ message: "plain" });
  });
});
