/**
 * The controller's metrics (prefix `tranquil_`), in their own registry: one gauge set per
 * upgrade, refreshed from its status after every reconcile, plus reconcile counters. Gauges
 * are named for what they measure, with a unit; only counters end in `_total` (Prometheus'
 * naming conventions). An upgrade's series are removed (`forget`) once it has ended and a
 * retention has passed, or when it is deleted, so that the label sets stay bounded by the
 * upgrades in progress while a scrape still sees how each one ended.
 */
import { Counter, Gauge, Registry } from "prom-client";
import { Phase } from "./engine/phases.js";
import type { Observations, UpgradeStatus } from "./engine/types.js";

const PHASES = Object.values(Phase);

/** The labels of one per-version series. */
interface VersionLabels {
  readonly upgrade: string;
  readonly service: string;
  readonly version: string;
}

/** The controller's metric set. */
export class ControllerMetrics {
  readonly registry = new Registry();
  /** Gauges labelled by `upgrade` alone, so `forget` can remove their series. */
  private readonly perUpgrade: Gauge<"upgrade">[] = [];
  /** upgrade → the per-version series last set for it, keyed by service and version. */
  private readonly versionSeries = new Map<string, Map<string, VersionLabels>>();
  private readonly phase = this.gauge(
    "upgrade_phase",
    "1 for the upgrade's current phase, 0 for the others",
    ["upgrade", "phase"],
  );
  private readonly weight = this.upgradeGauge("upgrade_weight_percent", "enrolment weight");
  private readonly activeOld = this.upgradeGauge(
    "upgrade_active_old_calls",
    "calls active at old versions of the train",
  );
  private readonly oldestAge = this.upgradeGauge(
    "upgrade_oldest_active_age_seconds",
    "age of the oldest transaction active at old",
  );
  private readonly pins = this.upgradeGauge("upgrade_pins", "transactions pinned to old");
  private readonly confirmedReady = this.upgradeGauge(
    "upgrade_confirmations_ready",
    "proxies that confirmed the current config",
  );
  private readonly confirmedExpected = this.upgradeGauge(
    "upgrade_confirmations_expected_proxies",
    "proxies expected to confirm",
  );
  private readonly dirty = this.upgradeGauge(
    "upgrade_dirty_pods",
    "dirty or stale pods blocking flips and removals",
  );
  private readonly violations = this.upgradeGauge(
    "upgrade_violations",
    "transactions seen at two versions of one service",
  );
  private readonly lost = this.upgradeGauge("upgrade_lost_transactions", "transactions declared lost");
  private readonly drainSeconds = this.upgradeGauge("upgrade_drain_seconds", "time spent in Draining so far");
  private readonly activeCalls = this.gauge(
    "active_calls",
    "calls in flight per train service and version (TraceManager counters)",
    ["upgrade", "service", "version"],
  );
  private readonly activeTransactions = this.gauge(
    "active_transactions",
    "transactions in flight per train service and version (TraceManager counters)",
    ["upgrade", "service", "version"],
  );
  private readonly reconciles = new Counter({
    name: "tranquil_reconciles_total",
    help: "reconcile ticks by outcome",
    labelNames: ["outcome"],
    registers: [this.registry],
  });

  private gauge<L extends string>(name: string, help: string, labelNames: L[]): Gauge<L> {
    return new Gauge({ name: `tranquil_${name}`, help, labelNames, registers: [this.registry] });
  }

  private upgradeGauge(name: string, help: string): Gauge<"upgrade"> {
    const g = this.gauge(name, help, ["upgrade"]);
    this.perUpgrade.push(g);
    return g;
  }

  /** Refreshes an upgrade's gauges from its status. */
  observe(upgrade: string, status: UpgradeStatus, now: number): void {
    for (const phase of PHASES) this.phase.set({ upgrade, phase }, phase === status.phase ? 1 : 0);
    this.weight.set({ upgrade }, status.weight);
    this.activeOld.set({ upgrade }, status.activeOld);
    this.oldestAge.set({ upgrade }, status.oldestActiveAgeSeconds);
    this.pins.set({ upgrade }, status.pinned);
    this.confirmedReady.set({ upgrade }, status.confirmed.ready);
    this.confirmedExpected.set({ upgrade }, status.confirmed.total);
    this.dirty.set({ upgrade }, status.dirtyPods.length);
    this.violations.set({ upgrade }, status.violations);
    this.lost.set({ upgrade }, status.lostTransactions);
    const drainStart = status.engine.instants.drainStartedAt;
    this.drainSeconds.set({ upgrade }, drainStart === null ? 0 : Math.max(0, (now - drainStart) / 1000));
  }

  /**
   * Refreshes the per-version activity of an upgrade's train from this tick's observations.
   * A version no longer observed (its Deployment was removed) loses its series, rather than
   * showing its last figures for as long as the upgrade lasts.
   */
  observeVersions(upgrade: string, services: Observations["services"]): void {
    const seen = new Map<string, VersionLabels>();
    for (const [service, observed] of Object.entries(services)) {
      for (const [version, v] of Object.entries(observed.versions)) {
        const labels = { upgrade, service, version };
        this.activeCalls.set(labels, v.activeCalls);
        this.activeTransactions.set(labels, v.activeTransactions);
        seen.set(JSON.stringify([service, version]), labels);
      }
    }
    for (const [key, labels] of this.versionSeries.get(upgrade) ?? []) {
      if (!seen.has(key)) this.removeVersion(labels);
    }
    this.versionSeries.set(upgrade, seen);
  }

  /**
   * Removes every series of an ended upgrade: without this, each upgrade ever run would stay in
   * /metrics with its last figures. prom-client 15 removes only exact label sets, so the
   * per-version ones are those `observeVersions` last set.
   */
  forget(upgrade: string): void {
    for (const phase of PHASES) this.phase.remove({ upgrade, phase });
    for (const g of this.perUpgrade) g.remove({ upgrade });
    for (const labels of this.versionSeries.get(upgrade)?.values() ?? []) this.removeVersion(labels);
    this.versionSeries.delete(upgrade);
  }

  private removeVersion(labels: VersionLabels): void {
    this.activeCalls.remove(labels);
    this.activeTransactions.remove(labels);
  }

  /** Counts one reconcile tick. */
  reconciled(outcome: "ok" | "conflict" | "error"): void {
    this.reconciles.inc({ outcome });
  }
}
