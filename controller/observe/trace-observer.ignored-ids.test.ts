import { describe, expect, it } from "vitest";
import { initialStatus } from "../engine/status.js";
import { healthyFacts } from "../engine/testing/harness.js";
import { MemoryTraceStore } from "../../trace-manager/store/memory.js";
import type { PodReport } from "../../trace-manager/store/port.js";
import { TraceObserver } from "./trace-observer.js";

const NOW = 1_800_000_000_000;

function report(pod: string, extra: Partial<PodReport> = {}): PodReport {
  return {
    pod,
    role: "sidecar",
    service: "auth-service",
    version: "v1",
    heartbeatAt: NOW - 100,
    watermark: NOW - 200,
    dirty: false,
    dirtyReasons: [],
    weightVersions: {},
    epochs: {},
    ...extra,
  };
}

describe("TraceObserver: refused x-request-ids (ADR 0084)", () => {
  it("passes each pod's refused-id count from its report to the engine, and nothing for older reports", async () => {
    const traceStore = new MemoryTraceStore({ clock: () => NOW });
    const reports = [
      report("auth-v1-a", { ignoredRequestIds: { total: 7, lastAt: NOW - 1_000 } }),
      report("auth-v1-b", { ignoredRequestIds: { total: 0, lastAt: null } }),
      report("auth-v1-c"),
    ];
    for (const r of reports) await traceStore.reportPod(r);
    const observer = new TraceObserver({
      traceStore,
      inventory: {
        proxies: () =>
          Promise.resolve(
            reports.map((r) => ({
              pod: r.pod,
              role: r.role,
              service: r.service,
              version: r.version,
              traceManager: true,
              terminating: false,
            })),
          ),
        gateways: () => Promise.resolve([]),
      },
      workloads: {
        ensureVersion: () => Promise.resolve(),
        scaleVersion: () => Promise.resolve(),
        deleteVersion: () => Promise.resolve(),
        versions: () => Promise.resolve([{ version: "v1", desired: 3, ready: 3 }]),
      },
      router: {
        ensureSubset: () => Promise.resolve(),
        removeSubset: () => Promise.resolve(),
        writeRoutes: () => Promise.resolve({ recorded: [] }),
        epochInTable: () => Promise.resolve(1),
      },
      validationFacts: () => Promise.resolve(healthyFacts(["auth-service"])),
    });
    const spec = { services: [{ name: "auth-service", from: "v1", to: "v2" }] };
    const draining = { ...initialStatus(NOW), phase: "Draining" as const, configEpoch: 1 };
    const obs = await observer.observe({ id: "auth-v2", namespace: "default", spec }, draining, NOW);
    const byPod = Object.fromEntries(obs.pods.map((p) => [p.name, p.ignoredRequestIds]));
    expect(byPod).toEqual({
      "auth-v1-a": { total: 7, lastAt: NOW - 1_000 },
      "auth-v1-b": { total: 0, lastAt: null },
      "auth-v1-c": undefined,
    });
    expect(obs.pods.find((p) => p.name === "auth-v1-c")).not.toHaveProperty("ignoredRequestIds");
    await traceStore.close();
  });
});
