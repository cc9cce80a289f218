/**
 * The webhook gates' bearer tokens on a real API server, read as the controller's own
 * ServiceAccount with the RBAC the install ships: the token a gate's secretRef names is read
 * from the Secret in the Upgrade's namespace and sent to the gate (an express server on
 * 127.0.0.1); a missing Secret or key, or a Secret not labelled for gates, is a no that says
 * so, and the gate is not called.
 */
import { AuthorizationV1Api, CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeTestEnv, type KubeTestEnv } from "../../../test/cluster/support/kube-test-env.js";
import { controllerKubeConfig } from "../../../test/cluster/support/service-account.js";
import type { UpgradeRef } from "../../ports/router.js";
import { HttpWebhooks } from "../../webhooks/http-webhooks.js";
import { startGateServer, type GateServer } from "../../webhooks/testing/gate-server.js";
import { SecretTokens, WEBHOOK_TOKEN_LABEL } from "./secret-tokens.js";

describe("SecretTokens on a real API server", { timeout: 60_000 }, () => {
  let env: KubeTestEnv;
  let kc: KubeConfig;
  let gate: GateServer;
  const ns = "shop";
  const upgrade: UpgradeRef = {
    id: "auth-v2-1a2b3c",
    name: "auth-v2",
    namespace: ns,
    spec: { services: [{ name: "auth-service", from: "v1", to: "v2" }] },
  };

  beforeAll(async () => {
    [env, gate] = await Promise.all([startKubeTestEnv(), startGateServer()]);
    await env.namespace(ns);
    await env.kc.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name: "qa-gate", labels: { [WEBHOOK_TOKEN_LABEL]: "true" } },
        // As `kubectl create secret generic qa-gate --from-file=token=…` stores a file with its newline.
        data: { token: Buffer.from("cluster-bearer-42\n").toString("base64") },
        stringData: { other: "second-token" },
      },
    });
    await env.kc.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: "db-password" }, stringData: { token: "not-for-gates" } },
    });
    kc = await controllerKubeConfig(env.kc);
  }, 120_000);
  afterAll(async () => {
    await gate?.stop();
    await env?.stop();
  });

  const hook = (secretRef: { name: string; key?: string }) =>
    ({
      name: "qa",
      type: "confirm-promotion",
      url: `${gate.url}/gate/qa`,
      timeout: "2s",
      secretRef,
    }) as const;

  it("reads the token as the controller's ServiceAccount and sends it as a bearer token", async () => {
    const webhooks = new HttpWebhooks({ tokens: new SecretTokens(kc) });
    expect(await webhooks.call(upgrade, hook({ name: "qa-gate" }), "Shifting")).toEqual({
      yes: true,
      message: "said yes: HTTP 200",
    });
    expect(await webhooks.call(upgrade, hook({ name: "qa-gate", key: "other" }), "Shifting")).toMatchObject({
      yes: true,
    });
    expect(gate.callsOf("qa").map((c) => c.authorization)).toEqual([
      "Bearer cluster-bearer-42",
      "Bearer second-token",
    ]);
    expect(gate.callsOf("qa")[0]?.body).toMatchObject({ name: "auth-v2", namespace: "shop" });
  });

  it("a missing Secret or key is a no that names it, and the gate is not called", async () => {
    const tokens = new SecretTokens(kc);
    await expect(tokens.token(ns, "nope", "token")).rejects.toThrow("Secret shop/nope: not found");
    await expect(tokens.token(ns, "qa-gate", "bearer")).rejects.toThrow(
      'Secret shop/qa-gate has no key "bearer"',
    );
    const before = gate.callsOf("qa").length;
    const outcome = await new HttpWebhooks({ tokens }).call(upgrade, hook({ name: "nope" }), "Shifting");
    expect(outcome).toEqual({
      yes: false,
      message: "was not called: no bearer token from secret shop/nope key token: Secret shop/nope: not found",
    });
    expect(gate.callsOf("qa").length).toBe(before);
  });

  it("the shipped RBAC grants get on secrets, never list or watch", async () => {
    const api = kc.makeApiClient(AuthorizationV1Api);
    const allowed = async (verb: string): Promise<boolean> =>
      (
        await api.createSelfSubjectAccessReview({
          body: { spec: { resourceAttributes: { verb, group: "", resource: "secrets", namespace: ns } } },
        })
      ).status?.allowed === true;
    expect(await allowed("get")).toBe(true);
    expect(await allowed("list")).toBe(false);
    expect(await allowed("watch")).toBe(false);
  });
});
