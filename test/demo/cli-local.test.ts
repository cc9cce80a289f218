import { join, resolve } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../controller/cli/cli.js";
import { captureIo } from "../../controller/cli/testing/capture-io.js";
import { demoTimings } from "../../controller/local/demo/demo-settings.js";
import { waitUntilServing } from "../../controller/local/demo/warm-up.js";
import { startLocalController, type LocalController } from "../../controller/local/local-controller.js";
import { startMesh, type MeshHandle } from "../../istio/local-mesh/runtime/mesh-runtime.js";
import { loadTopology } from "../../istio/local-mesh/runtime/topology.js";
import { runLoad, type LoadReport } from "../../sample-services/load/index.js";

const root = resolve(import.meta.dirname, "../..");

/** The `tranquil` CLI against a real controller driving the local mesh, with users on it. */
describe("tranquil CLI against a running local controller", () => {
  let mesh: MeshHandle;
  let ctl: LocalController;
  let load: Promise<LoadReport>;
  const stopLoad = new AbortController();
  const cli = (args: string[]) => {
    const io = captureIo();
    return runCli([...args, "--server", ctl.apiUrl, "--token", ctl.token], io).then((code) => ({ code, io }));
  };

  beforeAll(async () => {
    const t = demoTimings(true);
    const logger = pino({ level: "silent" });
    mesh = await startMesh(await loadTopology(join(root, "controller/local/demo/demo.topology.yaml")), {
      logger,
      pushDelay: t.pushDelay,
      workerLag: t.workerLag,
      traceManager: { heartbeatMs: t.traceManagerHeartbeatMs },
    });
    ctl = await startLocalController({
      mesh,
      logger,
      settings: t.settings,
      intervalMs: t.reconcileIntervalMs,
    });
    await waitUntilServing(mesh.ingressUrl);
    load = runLoad({
      baseUrl: mesh.ingressUrl,
      durationMs: 600_000,
      maxJourneys: 100_000,
      ratePerSecond: 3,
      concurrency: 3,
      stopStarting: stopLoad.signal,
    });
  }, 60_000);

  afterAll(async () => {
    stopLoad.abort();
    await load;
    await ctl.stop();
    await mesh.stop();
  }, 60_000);

  it("refuses bad input before sending anything (exit 2)", async () => {
    const { code, io } = await cli([
      "upgrade",
      "auth-service",
      "--from",
      "v1",
      "--to",
      "v2",
      "--steps",
      "50,10",
    ]);
    expect(code).toBe(2);
    expect(io.err()).toMatch(/steps/);
    expect(await ctl.store.list()).toHaveLength(0);
  });

  it("upgrades auth-service v1 → v2 with --watch to completion (exit 0), users unaffected", async () => {
    const args = [
      "upgrade",
      "auth-service",
      "--from",
      "v1",
      "--to",
      "v2",
      "--steps",
      "50,100",
      "--step-interval",
      "2s",
    ];
    const { code, io } = await cli([...args, "--watch"]);
    expect(io.err()).toBe("");
    expect(code).toBe(0);
    expect(io.out()).toMatch(/Succeeded/);
    expect((await ctl.store.get({ namespace: "default", name: "auth-service-v2" })).status.phase).toBe(
      "Succeeded",
    );
    expect(
      mesh
        .instances()
        .filter((i) => i.service === "auth-service")
        .map((i) => i.version),
    ).toEqual(["v2", "v2"]);
  }, 180_000);

  it("exports the controller's metrics for Grafana at /metrics", async () => {
    const text = await (await fetch(`${ctl.apiUrl}/metrics`)).text();
    expect(text).toContain(
      'tranquil_upgrade_phase{namespace="default",upgrade="auth-service-v2",phase="Succeeded"} 1',
    );
    expect(text).toContain(
      'tranquil_upgrade_weight_percent{namespace="default",upgrade="auth-service-v2"} 100',
    );
    expect(text).toMatch(
      /tranquil_active_calls\{namespace="default",upgrade="auth-service-v2",service="auth-service",version="v1",role="old"\} \d+/,
    );
    expect(text).toMatch(/tranquil_reconciles_total\{outcome="ok"\} [1-9]/);
    for (const name of [
      "tranquil_upgrade_pins",
      "tranquil_upgrade_dirty_pods",
      "tranquil_upgrade_violations",
    ]) {
      expect(text).toContain(name);
    }
  });

  it("aborts an upgrade during Shifting: it rolls back to v1 and watch exits 1", async () => {
    const created = await cli([
      "upgrade",
      "order-service",
      "--from",
      "v1",
      "--to",
      "v2",
      "--steps",
      "20,100",
      "--step-interval",
      "30s",
    ]);
    expect(created.code).toBe(0);
    const name = "order-service-v2";
    for (
      let i = 0;
      i < 600 && (await ctl.store.get({ namespace: "default", name: name })).status.phase !== "Shifting";
      i++
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await ctl.store.get({ namespace: "default", name: name })).status.phase).toBe("Shifting");
    expect((await cli(["abort", name])).code).toBe(0);
    const watched = await cli(["watch", name]);
    expect(watched.code).toBe(1);
    expect(watched.io.out()).toMatch(/RolledBack/);
    expect(
      mesh
        .instances()
        .filter((i) => i.service === "order-service")
        .map((i) => i.version),
    ).toEqual(["v1", "v1"]);
    stopLoad.abort();
    const report = await load;
    expect(report.summary.failed).toBe(0);
    expect(report.summary.mixed).toBe(0);
  }, 180_000);
});
