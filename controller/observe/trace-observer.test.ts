import { describe, expect, it } from "vitest";
import { initialStatus } from "../engine/status.js";
import type { UpgradeStatus } from "../engine/types.js";
import { healthyFacts } from "../engine/testing/harness.js";
import { MemoryTraceStore } from "../../trace-manager/store/memory.js";
import type { PodReport, TxnId } from "../../trace-manager/store/port.js";
import type { UpgradeSpec } from "../engine/types.js";
import type { MetricsQuery, ProxyEntry } from "../ports/index.js";
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

/** Proxies the inventory lists: every reporting pod but the gone ones, plus `silent` pods. */
function inventory(reports: readonly PodReport[], gone: readonly string[], silent: readonly ProxyEntry[]) {
  const listed = reports
    .filter((r) => !gone.includes(r.pod))
    .map((r): ProxyEntry => ({
      pod: r.pod,
      role: r.role,
      service: r.service,
      version: r.version,
      traceManager: true,
      terminating: false,
    }));
  return {
    proxies: () => Promise.resolve([...listed, ...silent]),
    gateways: () => Promise.resolve([{ namespace: "istio-system", name: "ingress", pods: ["ingress"] }]),
  };
}

async function observe(
  reports: PodReport[],
  status: UpgradeStatus,
  gone: string[] = [],
  seed: (store: MemoryTraceStore) => Promise<unknown> = () => Promise.resolve(),
  extra: {
    silent?: ProxyEntry[];
    metrics?: MetricsQuery;
    metricsAt?: (address: string) => MetricsQuery;
    spec?: UpgradeSpec;
    /** Gateways the route table binds to the upgrade's sentinel. */
    sentinelGateways?: string[];
  } = {},
) {
  const traceStore = new MemoryTraceStore({ clock: () => NOW });
  for (const r of reports) await traceStore.reportPod(r);
  await seed(traceStore);
  const observer = new TraceObserver({
    traceStore,
    inventory: inventory(reports, gone, extra.silent ?? []),
    ...(extra.metrics !== undefined ? { metrics: extra.metrics } : {}),
    ...(extra.metricsAt !== undefined ? { metricsAt: extra.metricsAt } : {}),
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
      sentinelGateways: () => Promise.resolve(extra.sentinelGateways ?? []),
    },
    validationFacts: () => Promise.resolve(healthyFacts(["auth-service"])),
  });
  return observer.observe({ id: "auth-v2", namespace: "default", spec: extra.spec ?? spec }, status, NOW);
}

describe("TraceObserver", () => {
  const shifting: UpgradeStatus = { ...initialStatus(NOW), phase: "Shifting", configEpoch: 4 };
  const analysing: UpgradeStatus = { ...shifting, engine: { ...shifting.engine, stage: "analyse" } };

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

  it("counts a gateway without an epoch as unconfirmed once the table binds its Gateway to the upgrade's sentinel (ADR 0090)", async () => {
    const reports = [report("ingress", "gateway", {}), report("auth-a", "sidecar", { "auth-v2": 4 })];
    const bound = await observe(reports, shifting, [], undefined, {
      sentinelGateways: ["istio-system/ingress"],
    });
    const byName = Object.fromEntries(bound.pods.map((p) => [p.name, p]));
    // The stamps are in the table but not yet at this gateway: "no epoch" means "not yet".
    expect(byName["ingress"]?.configEpoch).toBeNull();
    expect(byName["auth-a"]?.configEpoch).toBe(4);
    // Another Gateway's binding says nothing about this pod.
    const other = await observe(reports, shifting, [], undefined, { sentinelGateways: ["default/other"] });
    expect(other.pods.find((p) => p.name === "ingress")?.configEpoch).toBe(4);
    // Once it applies the table, its report names the epoch like a sidecar's.
    const applied = await observe([report("ingress", "gateway", { "auth-v2": 4 })], shifting, [], undefined, {
      sentinelGateways: ["istio-system/ingress"],
    });
    expect(applied.pods.find((p) => p.name === "ingress")?.configEpoch).toBe(4);
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
  it("never skips a proxy the inventory lists but whose TraceManager has not reported", async () => {
    const silent: ProxyEntry = {
      pod: "auth-new",
      role: "sidecar",
      service: "auth-service",
      version: "v2",
      traceManager: false,
      terminating: false,
    };
    const obs = await observe([report("auth-a", "sidecar", { "auth-v2": 4 })], shifting, [], undefined, {
      silent: [silent],
    });
    expect(obs.pods.find((p) => p.name === "auth-new")).toMatchObject({
      configEpoch: null,
      watermark: null,
      dirty: true,
    });
  });

  it("evaluates the spec's Prometheus checks while Shifting analyses, and reports a failed query with its error", async () => {
    const queries: string[] = [];
    const metrics: MetricsQuery = {
      describe: "test",
      instant: (query) => {
        queries.push(query);
        return Promise.resolve(
          query === "up" ? { ok: true, value: 1 } : { ok: false, error: "bad_data: parse error" },
        );
      },
    };
    const checks: UpgradeSpec = {
      ...spec,
      strategy: { analysis: { prometheus: [{ query: "up", min: 1 }, { query: "broken(" }] } },
    };
    const obs = await observe([], analysing, [], undefined, { metrics, spec: checks });
    expect(obs.prometheus).toEqual({ up: 1 });
    expect(obs.prometheusErrors).toEqual({ "broken(": "bad_data: parse error" });
    const validating = await observe([], initialStatus(NOW), [], undefined, { metrics, spec: checks });
    expect(validating.validation?.metricsProvider).toBe("test");
    const setWeight = await observe([], shifting, [], undefined, { metrics, spec: checks });
    expect(setWeight.prometheus).toEqual({});
    expect(queries).toHaveLength(2); // not queried outside Shifting's analysis
  });

  it("queries the upgrade's own Prometheus with its checks rendered for the upgrade's namespace", async () => {
    const asked: string[] = [];
    const install: MetricsQuery = { describe: "install", instant: () => Promise.reject(new Error("not me")) };
    const metricsAt = (address: string): MetricsQuery => ({
      describe: address,
      instant: (query) => {
        asked.push(`${address} ${query}`);
        return Promise.resolve({ ok: true, value: 99.5 });
      },
    });
    const own: UpgradeSpec = {
      ...spec,
      strategy: {
        analysis: {
          prometheusAddress: "http://prom.team-a:9090",
          prometheus: [{ query: 'x{ns="{{ namespace }}",v="{{ version }}"}', min: 1 }],
        },
      },
    };
    const obs = await observe([], analysing, [], undefined, { metrics: install, metricsAt, spec: own });
    expect(asked).toEqual(['http://prom.team-a:9090 x{ns="default",v="v2"}']);
    expect(obs.namespace).toBe("default");
    expect(obs.prometheus).toEqual({ 'x{ns="default",v="v2"}': 99.5 });
    const validating = await observe([], initialStatus(NOW), [], undefined, {
      metrics: install,
      metricsAt,
      spec: own,
    });
    expect(validating.validation?.metricsProvider).toBe("http://prom.team-a:9090");
  });

  it("tells Validating that no Prometheus provider is configured", async () => {
    const obs = await observe([], initialStatus(NOW));
    expect(obs.validation?.metricsProvider).toBeNull();
  });

  it("passes each pod's refused-id count from its report to the engine, and nothing for older reports (ADR 0084)", async () => {
    const draining: UpgradeStatus = { ...initialStatus(NOW), phase: "Draining", configEpoch: 4 };
    const obs = await observe(
      [
        { ...report("auth-v1-a", "sidecar", {}), ignoredRequestIds: { total: 7, lastAt: NOW - 1_000 } },
        { ...report("auth-v1-b", "sidecar", {}), ignoredRequestIds: { total: 0, lastAt: null } },
        report("auth-v1-c", "sidecar", {}),
      ],
      draining,
    );
    const byPod = Object.fromEntries(obs.pods.map((p) => [p.name, p.ignoredRequestIds]));
    expect(byPod).toEqual({
      "auth-v1-a": { total: 7, lastAt: NOW - 1_000 },
      "auth-v1-b": { total: 0, lastAt: null },
      "auth-v1-c": undefined,
    });
    expect(obs.pods.find((p) => p.name === "auth-v1-c")).not.toHaveProperty("ignoredRequestIds");
  });
});
