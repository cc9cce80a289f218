/**
 * The start-up check on the real API server: an unreachable server, a cluster without the
 * CRDs, then with them: the shipped ServiceAccount passes (also through the in-cluster
 * kubeconfig), an account with fewer permissions is told everything it lacks at once, and an
 * account bound in one namespace passes for that namespace only.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../test/cluster/control-plane/processes.js";
import { installCrds } from "../../../test/cluster/control-plane/crds.js";
import { eventually } from "../../../test/cluster/support/cluster-test-kit.js";
import { startKubeTestEnv, type KubeTestEnv } from "../../../test/cluster/support/kube-test-env.js";
import { controllerKubeConfig } from "../../../test/cluster/support/service-account.js";
import { loadControllerKubeConfig } from "./kube-config.js";
import { startupCheck, StartupCheckError, type StartupCheckOptions } from "./startup-check.js";

const OWN = "tranquil-system";
const ALL: StartupCheckOptions = { namespaces: "all", controllerNamespace: OWN };

/** The problems startupCheck reports, or [] when it passes. */
async function problems(kc: KubeConfig, options: StartupCheckOptions = ALL): Promise<readonly string[]> {
  try {
    await startupCheck(kc, options);
    return [];
  } catch (err) {
    if (err instanceof StartupCheckError) return err.problems;
    throw err;
  }
}

const UPGRADE_MISSING =
  "Upgrade (tranquil.dev/v1alpha1) not served: the Upgrade CRD is not installed: kubectl apply -f manifests/crd/upgrades.tranquil.dev.yaml";
const ISTIO_MISSING =
  "VirtualService, DestinationRule, Gateway, ServiceEntry (networking.istio.io/v1) not served: Istio's CRDs are not installed: install Istio (or apply its CRDs) first";

describe("the controller's start-up check", { timeout: 90_000 }, () => {
  let env: KubeTestEnv;
  let sa: KubeConfig;
  let dir: string;
  beforeAll(async () => {
    env = await startKubeTestEnv({ crds: false });
    sa = await controllerKubeConfig(env.kc);
    dir = await mkdtemp(join(tmpdir(), "tranquil-startup-"));
  }, 120_000);
  afterAll(async () => {
    await env?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /** A ServiceAccount in tranquil-system with `bind` applied by the admin, and a KubeConfig for it. */
  const account = async (name: string, bind: (rbac: RbacAuthorizationV1Api) => Promise<unknown>) => {
    const core = env.kc.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace: OWN, body: { metadata: { name } } });
    await bind(env.kc.makeApiClient(RbacAuthorizationV1Api));
    const token = await core.createNamespacedServiceAccountToken({
      name,
      namespace: OWN,
      body: { spec: { audiences: [], expirationSeconds: 3_600 } },
    });
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "c", server: env.cp.server, caData: Buffer.from(env.cp.caPem).toString("base64") }],
      users: [{ name, token: token.status?.token }],
      contexts: [{ name, cluster: "c", user: name }],
      currentContext: name,
    });
    return kc;
  };
  const subject = (name: string) => [{ kind: "ServiceAccount", name, namespace: OWN }];

  it("fails with one message naming the server and context when the API server cannot be reached", async () => {
    const kc = new KubeConfig();
    const server = `https://127.0.0.1:${await freePort()}`;
    kc.loadFromOptions({
      clusters: [{ name: "c", server }],
      users: [{ name: "u", token: "t" }],
      contexts: [{ name: "prod", cluster: "c", user: "u" }],
      currentContext: "prod",
    });
    const err = await startupCheck(kc, ALL).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupCheckError);
    expect((err as StartupCheckError).message).toBe(
      `tranquil-controller cannot start on ${server} (kubeconfig context "prod"):\n  - cannot get version: the API server ${server} (kubeconfig context "prod") refused the connection (ECONNREFUSED): is the cluster running, and is this the right context?`,
    );
  });

  it("lists the missing CRDs, and nothing else, for the shipped ServiceAccount on a cluster without them", async () => {
    expect(await problems(sa)).toEqual([UPGRADE_MISSING, ISTIO_MISSING]);
  });

  describe("once the CRDs are installed", () => {
    beforeAll(async () => {
      await installCrds(env.kc);
    }, 60_000);

    it("passes for the shipped ServiceAccount, also through the in-cluster kubeconfig of a pod", async () => {
      const served = await eventually(
        () => problems(sa),
        (p) => p.length === 0,
        20_000,
      );
      expect(served).toEqual([]);
      const saDir = join(dir, "serviceaccount");
      await mkdir(saDir);
      await writeFile(join(saDir, "token"), sa.getCurrentUser()?.token ?? "");
      await writeFile(join(saDir, "ca.crt"), env.cp.caPem);
      await writeFile(join(saDir, "namespace"), OWN);
      const api = new URL(env.cp.server);
      const { kc, source } = loadControllerKubeConfig(
        {},
        {
          env: { KUBERNETES_SERVICE_HOST: api.hostname, KUBERNETES_SERVICE_PORT: api.port },
          serviceAccountDir: saDir,
          home: dir,
        },
      );
      expect(source).toBe("in-cluster service account");
      expect(await startupCheck(kc, ALL)).toEqual({
        serverVersion: "v1.37.2",
        user: "system:serviceaccount:tranquil-system:tranquil-controller",
      });
    });

    it("lists every permission a narrower account lacks, in one error", async () => {
      const kc = await account("limited", async (rbac) => {
        await rbac.createClusterRole({
          body: {
            metadata: { name: "limited" },
            rules: [
              { apiGroups: ["tranquil.dev"], resources: ["upgrades"], verbs: ["get", "list", "watch"] },
            ],
          },
        });
        await rbac.createClusterRoleBinding({
          body: {
            metadata: { name: "limited" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "limited" },
            subjects: subject("limited"),
          },
        });
      });
      const who = "RBAC: the service account tranquil-system/limited may not";
      const expected = [
        `${who} create, update, patch upgrades.tranquil.dev in every namespace`,
        `${who} get, update, patch upgrades.tranquil.dev/status in every namespace`,
        `${who} get, list, watch, create, update, patch, delete virtualservices.networking.istio.io in every namespace`,
        `${who} get, list, watch, create, update, patch, delete destinationrules.networking.istio.io in every namespace`,
        `${who} get, list, watch gateways.networking.istio.io in every namespace`,
        `${who} get, list, watch serviceentries.networking.istio.io in every namespace`,
        `${who} get, list, watch, create, update, patch, delete deployments.apps in every namespace`,
        `${who} get, update, patch deployments.apps/scale in every namespace`,
        `${who} get, list, watch, create, update, delete horizontalpodautoscalers.autoscaling in every namespace`,
        `${who} get, list, watch pods in every namespace`,
        `${who} get, list, watch services in every namespace`,
        `${who} get, list, watch endpointslices.discovery.k8s.io in every namespace`,
        `${who} get namespaces in every namespace`,
        `${who} list httproutes.gateway.networking.k8s.io in every namespace`,
        `${who} list grpcroutes.gateway.networking.k8s.io in every namespace`,
        `${who} list authorizationpolicies.security.istio.io in every namespace`,
        `${who} get secrets in every namespace`,
        `${who} create, patch, update, list events.events.k8s.io in every namespace`,
        `${who} get, create, update leases.coordination.k8s.io in namespace tranquil-system`,
        "grant what is missing with kubectl apply -f manifests/rbac/tranquil-controller.yaml (in the controller's namespace)",
      ];
      // The authorizer follows new bindings through its informer: wait for the settled answer.
      const found = await eventually(
        () => problems(kc),
        (p) => p.length === expected.length,
        20_000,
      );
      expect(found).toEqual(expected);
    });

    it("checks the watched namespaces only: an account bound in one namespace passes for it alone", async () => {
      await env.namespace("shop");
      await env.namespace("billing");
      const kc = await account("scoped", async (rbac) => {
        await rbac.createNamespacedRoleBinding({
          namespace: "shop",
          body: {
            metadata: { name: "scoped" },
            roleRef: {
              apiGroup: "rbac.authorization.k8s.io",
              kind: "ClusterRole",
              name: "tranquil-controller",
            },
            subjects: subject("scoped"),
          },
        });
        await rbac.createNamespacedRoleBinding({
          namespace: OWN,
          body: {
            metadata: { name: "scoped-leader-election" },
            roleRef: {
              apiGroup: "rbac.authorization.k8s.io",
              kind: "Role",
              name: "tranquil-controller-leader-election",
            },
            subjects: subject("scoped"),
          },
        });
      });
      const shopOnly = { namespaces: ["shop"], controllerNamespace: OWN };
      expect(
        await eventually(
          () => problems(kc, shopOnly),
          (p) => p.length === 0,
          20_000,
        ),
      ).toEqual([]);
      const two = await problems(kc, { namespaces: ["shop", "billing"], controllerNamespace: OWN });
      expect(two.length).toBe(19);
      expect(two.every((p, i) => i === 18 || p.endsWith(" in namespace billing"))).toBe(true);
      const all = await problems(kc);
      expect(all[0]).toBe(
        "RBAC: the service account tranquil-system/scoped may not get, list, watch, create, update, patch upgrades.tranquil.dev in every namespace",
      );
    });
  });
});
