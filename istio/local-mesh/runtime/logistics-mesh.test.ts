import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runLoad } from "../../../sample-services/load/index.js";
import { LOGISTICS_TOPOLOGY } from "./main.js";
import { startMesh, type MeshHandle } from "./mesh-runtime.js";
import { loadTopology } from "./topology.js";

const waitFor = async (cond: () => Promise<boolean>, ms = 8_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
};

// The logistics sample services behind the local mesh: HTTP/1.1 at the ingress, gRPC between
// services through their sidecars, each pod with its TraceManager on the in-memory store.
describe("logistics system on the local mesh", () => {
  let mesh: MeshHandle;
  beforeAll(async () => {
    mesh = await startMesh(await loadTopology(LOGISTICS_TOPOLOGY), {
      pushDelay: { minMs: 5, maxMs: 30 },
      als: { flushIntervalMs: 100 },
      logger: pino({ level: "silent" }),
    });
  });
  afterAll(() => mesh.stop());

  it("runs journeys end to end through the gateway and the sidecars, all served by v1", async () => {
    const report = await runLoad({
      baseUrl: mesh.ingressUrl,
      durationMs: 1_500,
      maxJourneys: 4,
      ratePerSecond: 4,
      concurrency: 2,
      drainTimeoutMs: 10_000,
    });
    expect(report.summary.total).toBeGreaterThan(0);
    expect(report.summary.failed).toBe(0);
    expect(report.summary.mixed).toBe(0);
    for (const versions of Object.values(report.summary.versionsSeen))
      expect(Object.keys(versions)).toEqual(["v1"]);
    // The TraceManagers saw the calls: every sidecar admitted them, and no violation was found.
    expect((await mesh.traceStore.violations()).total).toBe(0);
    await waitFor(async () => (await mesh.traceStore.versionStats("order-service", "v1", 0)).requests > 0);
    // Every pod's TraceManager read its sidecar's admin figures (ext_authz counters included).
    await waitFor(
      async () => (await mesh.traceStore.pods()).filter((p) => (p.envoy?.extAuthz.ok ?? 0) > 0).length >= 5,
    );
  });
});
