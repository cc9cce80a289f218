/**
 * The controller's metrics (prefix `tranquil_`), in their own registry: one gauge set per
 * upgrade, refreshed from its status after every reconcile, plus reconcile counters.
 */
import { Counter, Gauge, Registry } from "prom-client";
import { Phase } from "./engine/phases.js";
import type { Observations, UpgradeStatus } from "./engine/types.js";

const PHASES = Object.values(Phase);

/** The controller's metric set. */
export class ControllerMetrics {
  readonly registry = new Registry();
  private readonly phase = this.gauge(
    "upgrade_phase",
    "1 for the upgrade's current phase, 0 for the others",
    ["upgrade", "phase"],
  );
  private readonly weight = this.gauge("upgrade_weight_percent", "enrolment weight", ["upgrade"]);
  private readonly activeOld = this.gauge(
    "upgrade_active_old_calls",
    "calls active at old versions of the train",
    ["upgrade"],
  );
  private readonly oldestAge = this.gauge(
    "upgrade_oldest_active_age_seconds",
    "age of the oldest transaction active at old",
    ["upgrade"],
  );
  private readonly pins = this.gauge("upgrade_pins", "transactions pinned to old", ["upgrade"]);
  private readonly confirmedReady = this.gauge(
    "upgrade_confirmations_ready",
    "proxies that confirmed the current config",
    ["upgrade"],
  );
  private readonly confirmedTotal = this.gauge(
    "upgrade_confirmations_total_proxies",
    "proxies expected to confirm",
    ["upgrade"],
  );
  private readonly dirty = this.gauge(
    "upgrade_dirty_pods",
    "dirty or stale pods blocking flips and removals",
    ["upgrade"],
  );
  private readonly violations = this.gauge(
    "upgrade_violations",
    "transactions seen at two versions of one service",
    ["upgrade"],
  );
  private readonly lost = this.gauge("upgrade_lost_transactions", "transactions declared lost", ["upgrade"]);
  private readonly drainSeconds = this.gauge("upgrade_drain_seconds", "time spent in Draining so far", [
    "upgrade",
  ]);
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

  /** Refreshes an upgrade's gauges from its status. */
  observe(upgrade: string, status: UpgradeStatus, now: number): void {
    for (const phase of PHASES) this.phase.set({ upgrade, phase }, phase === status.phase ? 1 : 0);
    this.weight.set({ upgrade }, status.weight);
    this.activeOld.set({ upgrade }, status.activeOld);
    this.oldestAge.set({ upgrade }, status.oldestActiveAgeSeconds);
    this.pins.set({ upgrade }, status.pinned);
    this.confirmedReady.set({ upgrade }, status.confirmed.ready);
    this.confirmedTotal.set({ upgrade }, status.confirmed.total);
    this.dirty.set({ upgrade }, status.dirtyPods.length);
    this.violations.set({ upgrade }, status.violations);
    this.lost.set({ upgrade }, status.lostTransactions);
    const drainStart = status.engine.instants.drainStartedAt;
    this.drainSeconds.set({ upgrade }, drainStart === null ? 0 : Math.max(0, (now - drainStart) / 1000));
  }

  /** Refreshes the per-version activity of an upgrade's train from this tick's observations. */
  observeVersions(upgrade: string, services: Observations["services"]): void {
    for (const [service, observed] of Object.entries(services)) {
      for (const [version, v] of Object.entries(observed.versions)) {
        this.activeCalls.set({ upgrade, service, version }, v.activeCalls);
        this.activeTransactions.set({ upgrade, service, version }, v.activeTransactions);
      }
    }
  }

  /** Counts one reconcile tick. */
  reconciled(outcome: "ok" | "conflict" | "error"): void {
    this.reconciles.inc({ outcome });
  }
}
