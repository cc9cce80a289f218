import { describe, expect, it } from "vitest";
import { initialStatus } from "../engine/status.js";
import type { UpgradeStatus } from "../engine/types.js";
import { healthyFacts } from "../engine/testing/harness.js";
import { MemoryTraceStore } from "../../trace-manager/store/memory.js";
import type { PodReport, TxnId } from "../../trace-manager/store/port.js";
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

async function observe(
  reports: PodReport[],
  status: UpgradeStatus,
  gone: string[] = [],
  seed: (store: MemoryTraceStore) => Promise<unknown> = () => Promise.resolve(),
) {
  const traceStore = new MemoryTraceStore({ clock: () => NOW });
  for (const r of reports) await traceStore.reportPod(r);
  await seed(traceStore);
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

  it("leaves the transactions the engine declared lost out of activity, oldest age and the old transactions", async () => {
    const stuck = "a".repeat(32) as TxnId; // its call's end never reached the store
    const live = "b".repeat(32) as TxnId;
    const seed = (store: MemoryTraceStore) =>
      store.recordCallStarts([
        { txn: stuck, service: "auth-service", version: "v1", pod: "auth-a", at: NOW - 700_000 },
        { txn: stuck, service: "auth-service", version: "v1", pod: "auth-a", at: NOW - 690_000 },
        { txn: live, service: "auth-service", version: "v1", pod: "auth-a", at: NOW - 20_000 },
      ]);
    const draining: UpgradeStatus = { ...shifting, phase: "Draining" };
    const before = await observe([], draining, [], seed);
    expect(before.services["auth-service"]?.versions["v1"]).toMatchObject({
      activeCalls: 3,
      activeTransactions: 2,
      oldestActiveAgeSeconds: 700,
    });
    expect(before.transactions.map((t) => t.id)).toEqual([stuck, live]);

    const declared = { ...draining, engine: { ...draining.engine, lost: [stuck] } };
    const after = await observe([], declared, [], seed);
    expect(after.services["auth-service"]?.versions["v1"]).toMatchObject({
      activeCalls: 1,
      activeTransactions: 1,
      oldestActiveAgeSeconds: 20,
    });
    expect(after.transactions.map((t) => t.id)).toEqual([live]);

    const onlyLost = { ...draining, engine: { ...draining.engine, lost: [stuck, live] } };
    expect((await observe([], onlyLost, [], seed)).services["auth-service"]?.versions["v1"]).toMatchObject({
      activeCalls: 0,
      activeTransactions: 0,
      oldestActiveAgeSeconds: 0,
    });
  });
});
