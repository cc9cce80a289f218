/**
 * The README's cluster steps on the local cluster (install-from-chart.ts): Tranquil from its
 * Helm chart's rendered objects (`helm template` applied), a namespace labelled for
 * injection, the logistics samples applied. The kube-controller-manager rolls out the chart's
 * Deployments and the node agent runs their pods as the image's entry point, with the chart's
 * arguments, ServiceAccounts, RBAC and Secrets: the injection webhook adds the TraceManager to
 * every logistics pod (those of v2 too), one controller replica takes the chart's Lease. Then,
 * through the controller's Service (a port-forward) and the `tranquil` CLI with the chart's
 * token, the demo upgrade of auth-service succeeds, graded from outside: no failed or mixed
 * transaction, v1 removed after its last served request; the dashboard answers on the same
 * address.
 */
import { CoordinationV1Api, CoreV1Api } from "@kubernetes/client-node";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../../controller/cli/cli.js";
import { captureIo } from "../../../controller/cli/testing/capture-io.js";
import { gradeRemovals } from "../../../controller/local/demo/removal-grade.js";
import { sleep, startUsers } from "../../e2e/harness.js";
import { grade } from "../../e2e/scenarios/scenario-kit.js";
import { INSTALL_NAMESPACE } from "../../manifests/render-manifests.js";
import { startTestRedis, type TestRedis } from "../../support/redis-server.js";
import { bootClusterE2e, type ClusterE2e } from "../e2e/cluster-e2e.js";
import { eventually } from "../support/cluster-test-kit.js";
import { portForwardService, type PortForward } from "../support/port-forward.js";
import { deploySamples, installFromChart, type ChartInstall } from "./install-from-chart.js";

describe("Tranquil installed from its Helm chart on the local cluster", { concurrent: false }, () => {
  let redis: TestRedis | undefined;
  let c: ClusterE2e | undefined;
  let forward: PortForward | undefined;
  let install: ChartInstall | undefined;
  afterAll(async () => {
    await forward?.stop();
    await install?.webhookForward.stop();
    // The node agent stops the controller pods' processes by pid.
    await c?.stop();
    await redis?.stop();
  });

  it("rolls out the chart's controller as pods of the node, one leads, and the demo upgrade succeeds through its API", async () => {
    const began = Date.now();
    redis = await startTestRedis();
    const storeUrl = redis.url;
    c = await bootClusterE2e({
      storeUrl,
      workloads: async (kc, namespace, agent) => {
        install = await installFromChart(kc, agent, storeUrl);
        await deploySamples(kc, namespace);
      },
    });
    const kc = c.env.kc;
    const core = kc.makeApiClient(CoreV1Api);
    const namespace = c.namespace;
    const notInjected = async (): Promise<string[]> =>
      (await core.listNamespacedPod({ namespace })).items
        .filter((p) => !(p.spec?.containers ?? []).some((k) => k.name === "tranquil-trace-manager"))
        .map((p) => p.metadata?.name ?? "");
    // The chart's webhook injected the TraceManager into every pod of the samples.
    expect(await notInjected()).toEqual([]);
    const pods = (
      await core.listNamespacedPod({
        namespace: INSTALL_NAMESPACE,
        labelSelector: "app.kubernetes.io/name=tranquil-controller",
      })
    ).items;
    expect(pods.filter((p) => p.status?.phase === "Running")).toHaveLength(2);
    for (const p of pods) expect(p.spec?.serviceAccountName).toBe("tranquil-controller");
    const lease = await eventually(
      () =>
        kc
          .makeApiClient(CoordinationV1Api)
          .readNamespacedLease({ namespace: INSTALL_NAMESPACE, name: "tranquil-controller" }),
      (l) => (l.spec?.holderIdentity ?? "") !== "",
      30_000,
    );
    expect(lease.spec?.holderIdentity).toBeTruthy();

    // The token the chart made, and the API through the Service, as kubectl port-forward gives it.
    const secret = await core.readNamespacedSecret({
      namespace: INSTALL_NAMESPACE,
      name: "tranquil-api-token",
    });
    const token = Buffer.from(secret.data?.["token"] ?? "", "base64").toString("utf8");
    expect(token).toHaveLength(40);
    forward = await portForwardService(kc, c.agent, {
      namespace: INSTALL_NAMESPACE,
      name: "tranquil-controller",
      port: 7070,
    });
    const server = `http://${forward.address}`;
    expect((await fetch(`${server}/readyz`)).status).toBe(200);
    const page = await fetch(`${server}/dashboard/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<html");
    const wrong = await fetch(`${server}/v1/upgrades/x/abort`, {
      method: "POST",
      headers: { authorization: "Bearer not-the-token", "content-type": "application/json" },
      body: "{}",
    });
    expect(wrong.status).toBe(401);

    // tranquil upgrade … --watch, with the chart's token, while users keep the shop busy.
    const users = startUsers(c.mesh);
    await sleep(1_000);
    // Bounded: the watch is cut off (as Ctrl-C would) if the upgrade has not ended in 3 minutes.
    const io = captureIo({
      env: { TRANQUIL_URL: server, TRANQUIL_TOKEN: token },
      signal: AbortSignal.timeout(180_000),
    });
    const code = await runCli(
      [
        ...["-n", c.namespace, "upgrade", "auth-service", "--from", "v1", "--to", "v2"],
        ...["--name", "auth-v2", "--steps", "25,60,100", "--step-interval", "2s", "--watch"],
      ],
      io,
    );
    const final = await c.upgrades.get({ namespace: c.namespace, name: "auth-v2" });
    const load = await grade([users]);
    const grades = gradeRemovals(
      c.removals.removals().filter((r) => r.service === "auth-service"),
      c.timings.bound,
      [final],
    );
    console.log(
      `[cluster install from the chart] ${install?.objects.length} objects, 2 controller pods, ${final.status.phase} in ${((Date.now() - began) / 1000).toFixed(1)} s; ` +
        `removal +${grades[0]?.afterLastServedMs ?? "?"} ms; ${load.described}`,
    );
    expect(code, `${io.err()}${io.out()}\n${JSON.stringify(final.status.conditions)}`).toBe(0);
    expect(final.status.phase, final.status.engine.reason ?? "").toBe("Succeeded");
    expect(load.failed).toEqual([]);
    expect(load.mixed).toEqual([]);
    expect(load.versionsSeen("auth-service")).toEqual(["v1", "v2"]);
    expect(grades).toHaveLength(1);
    expect(grades[0]?.afterLastServedMs ?? -1).toBeGreaterThanOrEqual(0);
    // The v2 pods Tranquil created were injected too.
    expect(await notInjected()).toEqual([]);
    expect(c.pods.created().filter((p) => p.startsWith("auth-service-v2"))).not.toEqual([]);
    expect(c.errors).toEqual([]);
  }, 300_000);
});
