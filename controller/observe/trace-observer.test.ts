import { describe, expect, it } from "vitest";
import { initialStatus } from "../engine/status.js";
import type { UpgradeStatus } from "../engine/types.js";
import { healthyFacts } from "../engine/testing/harness.js";
import { MemoryTraceStore } from "../../trace-manager/store/memory.js";
import type { PodReport } from "../../trace-manager/store/port.js";
import { TraceObserver } from "./trace-observer.js";

const NOW = 1_800_000_000_000;
const spec = { services: [{ name: "auth-service", from: "v1", to: "v2" }] };

function report(pod: string, role: "sidecar" | "gateway", epochs: PodReport["epochs"]): PodReport {
  return {
    pod,
    role,
    service: role === "gateway" ? "ingressgateway" : "auth-service",
    version: role === "gateway" ? "gateway" : "v1",
    heartbeatAt: NOW - 100,
    watermark: NOW - 200,
    dirty: false,
    dirtyReasons: [],
    weightVersions: role === "gateway" ? { "auth-v2": 3 } : {},
    epochs,
  };
}

async function observe(reports: PodReport[], status: UpgradeStatus, gone: string[] = []) {
  const traceStore = new MemoryTraceStore({ clock: () => NOW });
  for (const r of reports) await traceStore.reportPod(r);
  const observer = new TraceObserver({
    traceStore,
    namespace: "default",
    workloads: {
      ensureVersion: () => Promise.resolve(),
      scaleVersion: () => Promise.resolve(),
      deleteVersion: () => Promise.resolve(),
      versions: () => Promise.resolve([{ version: "v1", desired: 2, ready: 2 }]),
    },
    router: {
      ensureSubset: () => Promise.resolve(),
      removeSubset: () => Promise.resolve(),
      writeRoutes: () => Promise.resolve({ recorded: [] }),
      epochInTable: () => Promise.resolve(4),
    },
    validationFacts: () => Promise.resolve(healthyFacts(["auth-service"])),
    podGone: (r) => gone.includes(r.pod),
  });
  return observer.observe("auth-v2", spec, status, NOW);
}

describe("TraceObserver", () => {
  const shifting: UpgradeStatus = { ...initialStatus(NOW), phase: "Shifting", configEpoch: 4 };

  it("keeps an unconfirmed epoch unconfirmed, and counts a proxy without train routes as current (ADR 0061)", async () => {
    const obs = await observe(
      [
        report("auth-a", "sidecar", { "auth-v2": 4 }),
        report("auth-b", "sidecar", { "auth-v2": null }),
        report("ingress", "gateway", {}),
      ],
      shifting,
    );
    const byName = Object.fromEntries(obs.pods.map((p) => [p.name, p]));
    expect(byName["auth-a"]?.configEpoch).toBe(4);
    // A route configuration holds the host but no Tranquil route: never confirmed (G4).
    expect(byName["auth-b"]?.configEpoch).toBeNull();
    // The gateway routes only the first hop: it holds the epoch written last, and its weight counts.
    expect(byName["ingress"]).toMatchObject({ configEpoch: 4, weightVersion: 3, role: "gateway" });
    expect(byName["ingress"]?.heartbeatAgeMs).toBe(100);
    expect(obs.routes.epochInTable).toBe(4);
  });

  it("ignores the last report of a pod that is gone, and gathers validation facts only while Validating", async () => {
    const reports = [
      report("auth-a", "sidecar", { "auth-v2": 4 }),
      report("auth-old", "sidecar", { "auth-v2": 1 }),
    ];
    const obs = await observe(reports, shifting, ["auth-old"]);
    expect(obs.pods.map((p) => p.name)).toEqual(["auth-a"]);
    expect(obs.validation).toBeUndefined();
    const validating = await observe(reports, initialStatus(NOW));
    expect(validating.validation?.services["auth-service"]?.exists).toBe(true);
  });
});
