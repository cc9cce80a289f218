/**
 * `tranquil --kubeconfig … --context …` on the real API server: the CLI's verbs act on the
 * Upgrade resources directly, with the same output and exit statuses as over the HTTP API;
 * `watch` follows the resource with a watch until it ends.
 */
import { CustomObjectsApi } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../controller/cli/cli.js";
import { ExitCode } from "../../controller/cli/exit-codes.js";
import { captureIo } from "../../controller/cli/testing/capture-io.js";
import { writeStatus } from "../../controller/cli/testing/api-fixture.js";
import { Phase } from "../../controller/engine/phases.js";
import { KubeUpgradeStore } from "../../controller/kubernetes/upgrades/kube-upgrade-store.js";
import { startKubeTestEnv, type KubeTestEnv } from "./support/kube-test-env.js";

const API = { group: "tranquil.dev", version: "v1alpha1", plural: "upgrades" };

describe("the CLI on a cluster through kubeconfig", { timeout: 60_000 }, () => {
  let env: KubeTestEnv;
  let store: KubeUpgradeStore;
  beforeAll(async () => {
    env = await startKubeTestEnv();
    await env.namespace("shop");
    store = await KubeUpgradeStore.open({ kc: env.kc });
  }, 120_000);
  afterAll(async () => {
    await store.close();
    await env.stop();
  });

  const run = async (argv: string[], onStdout?: (text: string) => void) => {
    const io = captureIo({ env: {}, ...(onStdout !== undefined ? { onStdout } : {}) });
    const code = await runCli(["--kubeconfig", env.cp.kubeconfigPath, "-n", "shop", ...argv], io);
    return { code, out: io.out(), err: io.err() };
  };

  it("creates an Upgrade resource, lists it, and gives pause, resume and promote", async () => {
    // No controller runs here: --no-wait returns once the resource is created.
    const created = await run([
      "upgrade",
      "auth-service",
      "--from",
      "v1",
      "--to",
      "v2",
      "--steps",
      "10,100",
      "--no-wait",
    ]);
    expect(created).toMatchObject({ code: ExitCode.Ok, err: "" });
    expect(created.out).toMatch(/^upgrade auth-service-v2 created: auth-service v1→v2, steps 10,100/);
    const api = env.kc.makeApiClient(CustomObjectsApi);
    const raw = (await api.getNamespacedCustomObject({
      ...API,
      namespace: "shop",
      name: "auth-service-v2",
    })) as {
      spec: unknown;
    };
    expect(raw.spec).toEqual({
      services: [{ name: "auth-service", from: "v1", to: "v2" }],
      strategy: { steps: [10, 100] },
    });
    const status = await run(["status"]);
    expect(status.code).toBe(ExitCode.Ok);
    expect(status.out).toMatch(/auth-service-v2/);
    expect((await run(["pause", "auth-service-v2"])).code).toBe(ExitCode.Ok);
    expect((await store.get({ namespace: "shop", name: "auth-service-v2" })).spec.paused).toBe(true);
    expect((await run(["resume", "auth-service-v2"])).code).toBe(ExitCode.Ok);
    expect((await run(["promote", "auth-service-v2"])).code).toBe(ExitCode.Ok);
    const promoted = await store.get({ namespace: "shop", name: "auth-service-v2" });
    expect(promoted.spec.paused).toBe(false);
    expect(promoted.commands.map((c) => c.kind)).toEqual(["promote"]);
  });

  it("refuses what the API refuses, exit 2: an overlapping upgrade, an unknown upgrade, a missing context", async () => {
    const overlap = await run(["upgrade", "auth-service", "--from", "v1", "--to", "v3"]);
    expect(overlap.code).toBe(ExitCode.BadInput);
    expect(overlap.err).toMatch(
      /upgrade auth-service-v2 is still Validating on auth-service in namespace shop/,
    );
    const unknown = await run(["status", "nobody"]);
    expect(unknown.code).toBe(ExitCode.BadInput);
    expect(unknown.err).toMatch(/Upgrade shop\/nobody not found/);
    const context = await run(["--context", "elsewhere", "status"]);
    expect(context.code).toBe(ExitCode.BadInput);
    expect(context.err).toMatch(/the kubeconfig has no context "elsewhere"/);
  });

  it("follows an upgrade with a watch until it ends, exit 0 on Succeeded", async () => {
    let wrote = false;
    const watched = await run(["watch", "auth-service-v2"], () => {
      if (wrote) return;
      wrote = true;
      void writeStatus(store, "auth-service-v2", { phase: Phase.Succeeded, weight: 100 }, Date.now(), "shop");
    });
    expect(watched.err).toBe("");
    expect(watched.code).toBe(ExitCode.Ok);
    expect(watched.out).toMatch(/Succeeded/);
  });
});
