/**
 * Tranquil installed on the local cluster from its Helm chart's rendered objects, as a release
 * engineer installs it: `helm template … | kubectl apply`. The kube-controller-manager rolls
 * out the chart's controller Deployment (two replicas) and the node agent runs its pods as the
 * image's entry point, with the chart's arguments, the ServiceAccount and RBAC the chart ships,
 * the API token from the chart's Secret; one replica takes the chart's Lease. Then, through
 * the controller's Service (a port-forward) and the `tranquil` CLI, the demo upgrade of
 * auth-service succeeds, graded from outside: no failed or mixed transaction, v1 removed after
 * its last served request; the dashboard answers on the same address. The chart's values for
 * the local node are in local-values.yaml, each with its reason.
 */
import { CoordinationV1Api, CoreV1Api, loadAllYaml, type KubernetesObject } from "@kubernetes/client-node";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../../controller/cli/cli.js";
import { captureIo } from "../../../controller/cli/testing/capture-io.js";
import { gradeRemovals } from "../../../controller/local/demo/removal-grade.js";
import { sleep, startUsers } from "../../e2e/harness.js";
import { grade } from "../../e2e/scenarios/scenario-kit.js";
import { CHART, INSTALL_NAMESPACE } from "../../manifests/render-manifests.js";
import { helm } from "../../support/helm/helm.js";
import { startTestRedis, type TestRedis } from "../../support/redis-server.js";
import { bootClusterE2e, deploymentsReady, type ClusterE2e } from "../e2e/cluster-e2e.js";
import { eventually } from "../support/cluster-test-kit.js";
import { applyObjects } from "../support/local-cluster.js";
import { portForwardService, type PortForward } from "../support/port-forward.js";
import { ensureNamespace } from "../support/token-kubeconfig.js";

const VALUES = join(import.meta.dirname, "local-values.yaml");

describe("Tranquil installed from its Helm chart on the local cluster", { concurrent: false }, () => {
  let redis: TestRedis | undefined;
  let c: ClusterE2e | undefined;
  let forward: PortForward | undefined;
  afterAll(async () => {
    await forward?.stop();
    // The node agent stops the controller pods' processes by pid.
    await c?.stop();
    await redis?.stop();
  });

  it("rolls out the chart's controller as pods of the node, one leads, and the demo upgrade succeeds through its API", async () => {
    const began = Date.now();
    redis = await startTestRedis();
    c = await bootClusterE2e({ storeUrl: redis.url });
    const kc = c.env.kc;

    // helm template … --include-crds | kubectl apply --server-side -f -
    const rendered = await helm([
      ...["template", "tranquil", CHART, "--namespace", INSTALL_NAMESPACE, "--include-crds"],
      ...["-f", VALUES, "--set", `redis.url=${redis.url}`],
    ]);
    const objects = (loadAllYaml(rendered) as (KubernetesObject | null)[]).filter(
      (o): o is KubernetesObject => o !== null,
    );
    await ensureNamespace(kc, INSTALL_NAMESPACE);
    await applyObjects(kc, objects);
    const core = kc.makeApiClient(CoreV1Api);
    await deploymentsReady(kc, INSTALL_NAMESPACE, 120_000).catch(async (err: unknown) => {
      // Say why: each pod's phase and waiting reason, and what the node agent could not do.
      const pods = await core.listNamespacedPod({ namespace: INSTALL_NAMESPACE });
      const states = pods.items.map(
        (p) =>
          `${p.metadata?.name}: ${p.status?.phase} ${JSON.stringify(p.status?.containerStatuses?.[0]?.state ?? {})}`,
      );
      throw new Error(
        `the chart's Deployments did not become ready: ${states.join("; ")}; node: ${c?.errors.join("; ")}`,
        {
          cause: err,
        },
      );
    });
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
    const io = captureIo({ env: { TRANQUIL_URL: server, TRANQUIL_TOKEN: token } });
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
      `[cluster install from the chart] ${objects.length} objects, 2 controller pods, ${final.status.phase} in ${((Date.now() - began) / 1000).toFixed(1)} s; ` +
        `removal +${grades[0]?.afterLastServedMs ?? "?"} ms; ${load.described}`,
    );
    expect(code, io.err() + io.out()).toBe(0);
    expect(final.status.phase, final.status.engine.reason ?? "").toBe("Succeeded");
    expect(load.failed).toEqual([]);
    expect(load.mixed).toEqual([]);
    expect(load.versionsSeen("auth-service")).toEqual(["v1", "v2"]);
    expect(grades).toHaveLength(1);
    expect(grades[0]?.afterLastServedMs ?? -1).toBeGreaterThanOrEqual(0);
    expect(c.errors).toEqual([]);
  }, 300_000);
});
