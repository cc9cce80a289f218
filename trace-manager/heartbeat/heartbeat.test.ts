import { describe, it, expect, beforeAll, afterAll } from "vitest";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { MemoryTraceStore } from "../store/memory.js";
import { startHarness, type Harness } from "../testing/harness.js";
import { fakeEnvoyAdmin } from "../testing/fake-envoy-admin.js";

describe("heartbeat with the pod's Envoy admin", () => {
  // A fresh pod: its Envoy has finished no Check before the TraceManager starts (ADR 0085).
  const state = { ok: 0, failOpen: 0, dropped: 0, down: false, epoch: 3 as number | null };
  let admin: Server;
  let store: MemoryTraceStore;
  let h: Harness;

  beforeAll(async () => {
    admin = fakeEnvoyAdmin(state);
    await new Promise<void>((r) => admin.listen(0, "127.0.0.1", r));
    store = new MemoryTraceStore();
    await store.putUpgrade({ id: "up-1", hosts: ["ratings"], weight: 10, watchEpochs: true, at: Date.now() });
    h = await startHarness(
      {
        dirtyHoldMs: 0,
        watermarkLagMs: 0,
        weightCacheMs: 0,
        envoyAdminUrl: `http://127.0.0.1:${(admin.address() as AddressInfo).port}`,
      },
      { store },
    );
    state.ok = 10;
  });
  afterAll(async () => {
    await h.close();
    await store.close();
    await new Promise((r) => admin.close(r));
  });

  it("reports Envoy's figures and the config epoch of watched upgrades", async () => {
    await h.tm.heartbeat(); // warms the upgrade cache
    const report = await h.tm.heartbeat();
    expect(report.dirty).toBe(false);
    expect(report.envoy?.extAuthz.ok).toBe(10);
    expect(report.envoy?.healthyEndpoints["outbound|80|v1|ratings.default.svc.cluster.local"]).toBe(1);
    expect(report.envoy?.upstream["outbound|80|v1|ratings.default.svc.cluster.local"]?.rqActive).toBe(2);
    expect(report.epochs).toEqual({ "up-1": 3 });
    state.epoch = null;
    expect((await h.tm.heartbeat()).epochs).toEqual({ "up-1": null });
    state.epoch = 4;
  });

  it("a rise in failure_mode_allowed or logs_dropped makes the pod dirty until a reading shows it stable", async () => {
    const clean = await h.tm.heartbeat();
    state.failOpen = 1;
    const rose = await h.tm.heartbeat();
    expect(rose.dirty).toBe(true);
    expect(rose.dirtyReasons).toEqual(["envoy-ext-authz-failure-mode-allowed"]);
    expect(rose.watermark).toBe(clean.watermark);
    // Unchanged since the last reading: certified again (hold is 0 in this test).
    const stable = await h.tm.heartbeat();
    expect(stable.dirty).toBe(false);
    expect(stable.watermark).toBeGreaterThanOrEqual(rose.watermark);

    state.dropped = 2;
    expect((await h.tm.heartbeat()).dirtyReasons).toEqual(["envoy-als-logs-dropped"]);
    expect((await h.tm.heartbeat()).dirty).toBe(false);
  });

  it("an unreadable Envoy admin keeps the pod dirty until a read succeeds", async () => {
    state.down = true;
    const down = await h.tm.heartbeat();
    expect(down.dirtyReasons).toContain("envoy-admin-unreadable");
    expect(down.epochs).toEqual({ "up-1": null });
    expect((await h.tm.heartbeat()).dirty).toBe(true);
    state.down = false;
    expect((await h.tm.heartbeat()).dirty).toBe(false);
  });
});
