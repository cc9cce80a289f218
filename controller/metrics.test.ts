import { describe, expect, it } from "vitest";
import { initialStatus } from "./engine/status.js";
import type { Observations, VersionObservation } from "./engine/types.js";
import { ControllerMetrics } from "./metrics.js";

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

  it("removes every series of an upgrade it forgets, and keeps the others'", async () => {
    const metrics = new ControllerMetrics();
    for (const upgrade of ["auth-v2", "order-v2"]) {
      metrics.observe(upgrade, initialStatus(NOW), NOW);
      metrics.observeVersions(upgrade, services({ v1: 2, v2: 1 }));
    }
    metrics.reconciled("ok");
    expect((await series(metrics)).filter((l) => l.includes('upgrade="auth-v2"')).length).toBeGreaterThan(10);

    metrics.forget("auth-v2");
    const left = await series(metrics);
    expect(left.filter((l) => l.includes('upgrade="auth-v2"'))).toEqual([]);
    expect(left).toContain('tranquil_active_calls{upgrade="order-v2",service="auth-service",version="v1"} 2');
    expect(left).toContain('tranquil_upgrade_confirmations_expected_proxies{upgrade="order-v2"} 0');
    expect(left).toContain('tranquil_reconciles_total{outcome="ok"} 1');
  });

  it("drops the series of a version that is no longer observed", async () => {
    const metrics = new ControllerMetrics();
    metrics.observeVersions("auth-v2", services({ v1: 3, v2: 1 }));
    metrics.observeVersions("auth-v2", services({ v2: 4 }));
    expect(await series(metrics)).toEqual([
      'tranquil_active_calls{upgrade="auth-v2",service="auth-service",version="v2"} 4',
      'tranquil_active_transactions{upgrade="auth-v2",service="auth-service",version="v2"} 4',
    ]);
  });
});
