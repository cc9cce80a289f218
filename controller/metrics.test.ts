import { describe, expect, it } from "vitest";
import { initialStatus } from "./engine/status.js";
import type { Observations, VersionObservation } from "./engine/types.js";
import { Phase } from "./engine/phases.js";
import { ControllerMetrics, type ObservedUpgrade } from "./metrics.js";

const NOW = 1_800_000_000_000;

function version(activeCalls: number): VersionObservation {
  return {
    desiredReplicas: 1,
    readyReplicas: 1,
    endpoints: { proxies: 1, healthyAt: 1, listedAt: 1 },
    activeCalls,
    activeTransactions: activeCalls,
    oldestActiveAgeSeconds: 0,
    envoyActive: 0,
    analysis: null,
  };
}

function services(versions: Record<string, number>): Observations["services"] {
  return {
    "auth-service": {
      versions: Object.fromEntries(Object.entries(versions).map(([v, calls]) => [v, version(calls)])),
    },
  };
}

/** An upgrade of auth-service from v1 to v2. */
function upgrade(namespace: string, name: string): ObservedUpgrade {
  return { namespace, name, spec: { services: [{ name: "auth-service", from: "v1", to: "v2" }] } };
}

/** The /metrics lines that are series (not HELP or TYPE). */
async function series(metrics: ControllerMetrics): Promise<string[]> {
  return (await metrics.registry.metrics()).split("\n").filter((l) => l !== "" && !l.startsWith("#"));
}

describe("ControllerMetrics", () => {
  it("names gauges without `_total`, which Prometheus keeps for counters", async () => {
    const text = await new ControllerMetrics().registry.metrics();
    // The exposition's TYPE lines: prom-client's JSON types its `type` as a numeric enum it does not hold.
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name = "", type = ""]) => ({
      name,
      type,
    }));
    expect(types.length).toBeGreaterThan(10);
    for (const { name, type } of types) {
      expect(name).toMatch(/^tranquil_[a-z_]+[a-z]$/);
      expect(name.endsWith("_total"), name).toBe(type === "counter");
    }
    expect(types.map((t) => t.name)).toContain("tranquil_upgrade_confirmations_expected_proxies");
  });

  it("labels each upgrade's series with its namespace and name, and the train's versions with their role", async () => {
    const metrics = new ControllerMetrics();
    const status = { ...initialStatus(NOW), phase: Phase.Draining };
    metrics.observe(upgrade("shop", "auth-v2"), status, NOW, { drainTimeoutMs: 90_000 });
    metrics.observeVersions(upgrade("shop", "auth-v2"), services({ v1: 2, v2: 1, v0: 3 }));
    const lines = await series(metrics);
    expect(lines).toContain('tranquil_upgrade_phase{namespace="shop",upgrade="auth-v2",phase="Draining"} 1');
    expect(lines).toContain('tranquil_upgrade_phase{namespace="shop",upgrade="auth-v2",phase="Shifting"} 0');
    expect(lines).toContain(
      'tranquil_upgrade_service_info{namespace="shop",upgrade="auth-v2",service="auth-service",old_version="v1",new_version="v2"} 1',
    );
    expect(lines).toContain('tranquil_upgrade_drain_timeout_seconds{namespace="shop",upgrade="auth-v2"} 90');
    expect(lines).toContain('tranquil_upgrade_weight_percent{namespace="shop",upgrade="auth-v2"} 0');
    for (const [version, role, n] of [
      ["v1", "old", 2],
      ["v2", "new", 1],
      ["v0", "other", 3],
    ] as const)
      expect(lines).toContain(
        `tranquil_active_transactions{namespace="shop",upgrade="auth-v2",service="auth-service",version="${version}",role="${role}"} ${n}`,
      );
    // Every per-upgrade series names both.
    const perUpgrade = lines.filter((l) => !l.startsWith("tranquil_reconciles_total"));
    expect(perUpgrade.every((l) => l.includes('namespace="shop",upgrade="auth-v2"'))).toBe(true);
  });

  it("removes every series of an upgrade it forgets, and keeps the others', same name in another namespace included", async () => {
    const metrics = new ControllerMetrics();
    for (const key of [
      upgrade("default", "auth-v2"),
      upgrade("default", "order-v2"),
      upgrade("shop", "auth-v2"),
    ]) {
      metrics.observe(key, initialStatus(NOW), NOW, { drainTimeoutMs: 60_000 });
      metrics.observeVersions(key, services({ v1: 2, v2: 1 }));
    }
    metrics.reconciled("ok");
    const mine = (lines: string[]) =>
      lines.filter((l) => l.includes('namespace="default",upgrade="auth-v2"'));
    expect(mine(await series(metrics)).length).toBeGreaterThan(10);

    metrics.forget({ namespace: "default", name: "auth-v2" });
    const left = await series(metrics);
    expect(mine(left)).toEqual([]);
    expect(left).toContain(
      'tranquil_active_calls{namespace="default",upgrade="order-v2",service="auth-service",version="v1",role="old"} 2',
    );
    expect(left).toContain(
      'tranquil_upgrade_confirmations_expected_proxies{namespace="default",upgrade="order-v2"} 0',
    );
    expect(left).toContain(
      'tranquil_upgrade_service_info{namespace="shop",upgrade="auth-v2",service="auth-service",old_version="v1",new_version="v2"} 1',
    );
    expect(left).toContain('tranquil_reconciles_total{outcome="ok"} 1');

    metrics.forget({ namespace: "default", name: "order-v2" });
    metrics.forget({ namespace: "shop", name: "auth-v2" });
    expect(await series(metrics)).toEqual(['tranquil_reconciles_total{outcome="ok"} 1']);
  });

  it("drops the series of a version that is no longer observed", async () => {
    const metrics = new ControllerMetrics();
    metrics.observeVersions(upgrade("default", "auth-v2"), services({ v1: 3, v2: 1 }));
    metrics.observeVersions(upgrade("default", "auth-v2"), services({ v2: 4 }));
    expect(await series(metrics)).toEqual([
      'tranquil_active_calls{namespace="default",upgrade="auth-v2",service="auth-service",version="v2",role="new"} 4',
      'tranquil_active_transactions{namespace="default",upgrade="auth-v2",service="auth-service",version="v2",role="new"} 4',
    ]);
  });

  it("keeps the phase of a record ended as invalid, without a train or a drain timeout", async () => {
    const metrics = new ControllerMetrics();
    metrics.observe(
      { namespace: "default", name: "broken" },
      { ...initialStatus(NOW), phase: Phase.Failed },
      NOW,
    );
    const lines = await series(metrics);
    expect(lines).toContain('tranquil_upgrade_phase{namespace="default",upgrade="broken",phase="Failed"} 1');
    expect(lines.some((l) => l.startsWith("tranquil_upgrade_service_info"))).toBe(false);
    expect(lines.some((l) => l.startsWith("tranquil_upgrade_drain_timeout_seconds"))).toBe(false);
  });
});
