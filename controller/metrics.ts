/**
 * The controller's metrics (prefix `tranquil_`), in their own registry: one gauge set per
 * upgrade, refreshed from its status after every reconcile, plus reconcile counters. Gauges
 * are named for what they measure, with a unit; only counters end in `_total` (Prometheus'
 * naming conventions). Every per-upgrade series carries `namespace` and `upgrade` (the
 * Upgrade's namespace and name), so a dashboard can pick one namespace and the upgrades in it.
 * An upgrade's series are removed (`forget`) once it has ended and a retention has passed, or
 * when it is deleted, so that the label sets stay bounded by the upgrades in progress while a
 * scrape still sees how each one ended. docs/grafana.md lists them.
 */
import { Counter, Gauge, Registry } from "prom-client";
import { Phase } from "./engine/phases.js";
import type { Observations, UpgradeStatus } from "./engine/types.js";
import type { UpgradeKey } from "./ports/upgrade-store.js";

const PHASES = Object.values(Phase);

/** What the metrics read of an upgrade besides its status: its key and its train's members. */
export interface ObservedUpgrade extends UpgradeKey {
  /** The spec's members; absent or partial on a record the reconciler ends as invalid. */
  readonly spec?: { readonly services?: readonly { name: string; from: string; to: string }[] };
}

/** The bounds in force for an upgrade (the install's settings with the spec's overrides). */
export interface UpgradeBounds {
  /** How long Draining may take before `onTimeout` applies. */
  readonly drainTimeoutMs: number;
}

/** A version's place in the train: the member's `from`, its `to`, or neither. */
export type VersionRole = "old" | "new" | "other";

type Labels = Record<string, string>;

/** The label sets set on each gauge for one upgrade, so that `forget` removes exactly them. */
type SeriesBook = Map<Gauge, Map<string, Labels>>;

const upgradeKey = (u: UpgradeKey): string => JSON.stringify([u.namespace, u.name]);

/** The role of `version` of `service` in the upgrade's train. */
export function versionRole(upgrade: ObservedUpgrade, service: string, version: string): VersionRole {
  const member = upgrade.spec?.services?.find((s) => s.name === service);
  if (member?.from === version) return "old";
  if (member?.to === version) return "new";
  return "other";
}

/** The controller's metric set. */
export class ControllerMetrics {
  readonly registry = new Registry();
  /** upgrade key → every series set for it. */
  private readonly books = new Map<string, SeriesBook>();
  private readonly phase = this.gauge(
    "upgrade_phase",
    "1 for the upgrade's current phase, 0 for the others",
    ["namespace", "upgrade", "phase"],
  );
  private readonly serviceInfo = this.gauge(
    "upgrade_service_info",
    "1 per member of the upgrade's train, naming its old and new version",
    ["namespace", "upgrade", "service", "old_version", "new_version"],
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
  private readonly drainTimeout = this.upgradeGauge(
    "upgrade_drain_timeout_seconds",
    "how long Draining may take before onTimeout applies",
  );
  private readonly activeCalls = this.gauge(
    "active_calls",
    "calls in flight per train service and version (TraceManager counters); role is old, new or other",
    ["namespace", "upgrade", "service", "version", "role"],
  );
  private readonly activeTransactions = this.gauge(
    "active_transactions",
    "transactions in flight per train service and version (TraceManager counters); role is old, new or other",
    ["namespace", "upgrade", "service", "version", "role"],
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

  private upgradeGauge(name: string, help: string): Gauge<"namespace" | "upgrade"> {
    return this.gauge(name, help, ["namespace", "upgrade"]);
  }

  private book(upgrade: UpgradeKey): SeriesBook {
    const key = upgradeKey(upgrade);
    let book = this.books.get(key);
    if (book === undefined) {
      book = new Map();
      this.books.set(key, book);
    }
    return book;
  }

  /** Sets one series of an upgrade and records its label set for `forget`. */
  private set(upgrade: UpgradeKey, gauge: Gauge, labels: Labels, value: number): void {
    gauge.set(labels, value);
    const book = this.book(upgrade);
    let sets = book.get(gauge);
    if (sets === undefined) {
      sets = new Map();
      book.set(gauge, sets);
    }
    sets.set(JSON.stringify(labels), labels);
  }

  /** Removes the series of `gauge` for an upgrade whose label sets `keep` rejects. */
  private prune(upgrade: UpgradeKey, gauge: Gauge, keep: (key: string) => boolean): void {
    const sets = this.books.get(upgradeKey(upgrade))?.get(gauge);
    for (const [key, labels] of sets ?? []) {
      if (keep(key)) continue;
      gauge.remove(labels);
      sets?.delete(key);
    }
  }

  /**
   * Refreshes an upgrade's gauges from its status; `bounds` (absent for a record ended as
   * invalid) gives the drain timeout in force.
   */
  observe(upgrade: ObservedUpgrade, status: UpgradeStatus, now: number, bounds?: UpgradeBounds): void {
    const u = { namespace: upgrade.namespace, upgrade: upgrade.name };
    for (const phase of PHASES)
      this.set(upgrade, this.phase, { ...u, phase }, phase === status.phase ? 1 : 0);
    const members = new Set<string>();
    for (const s of upgrade.spec?.services ?? []) {
      const labels = { ...u, service: s.name, old_version: s.from, new_version: s.to };
      this.set(upgrade, this.serviceInfo, labels, 1);
      members.add(JSON.stringify(labels));
    }
    this.prune(upgrade, this.serviceInfo, (key) => members.has(key));
    this.set(upgrade, this.weight, u, status.weight);
    this.set(upgrade, this.activeOld, u, status.activeOld);
    this.set(upgrade, this.oldestAge, u, status.oldestActiveAgeSeconds);
    this.set(upgrade, this.pins, u, status.pinned);
    this.set(upgrade, this.confirmedReady, u, status.confirmed.ready);
    this.set(upgrade, this.confirmedExpected, u, status.confirmed.total);
    this.set(upgrade, this.dirty, u, status.dirtyPods.length);
    this.set(upgrade, this.violations, u, status.violations);
    this.set(upgrade, this.lost, u, status.lostTransactions);
    const drainStart = status.engine.instants.drainStartedAt;
    this.set(upgrade, this.drainSeconds, u, drainStart === null ? 0 : Math.max(0, (now - drainStart) / 1000));
    if (bounds !== undefined) this.set(upgrade, this.drainTimeout, u, bounds.drainTimeoutMs / 1000);
  }

  /**
   * Refreshes the per-version activity of an upgrade's train from this tick's observations.
   * A version no longer observed (its Deployment was removed) loses its series, rather than
   * showing its last figures for as long as the upgrade lasts.
   */
  observeVersions(upgrade: ObservedUpgrade, services: Observations["services"]): void {
    const seen = new Set<string>();
    for (const [service, observed] of Object.entries(services)) {
      for (const [version, v] of Object.entries(observed.versions)) {
        const labels = {
          namespace: upgrade.namespace,
          upgrade: upgrade.name,
          service,
          version,
          role: versionRole(upgrade, service, version),
        };
        this.set(upgrade, this.activeCalls, labels, v.activeCalls);
        this.set(upgrade, this.activeTransactions, labels, v.activeTransactions);
        seen.add(JSON.stringify(labels));
      }
    }
    for (const gauge of [this.activeCalls, this.activeTransactions])
      this.prune(upgrade, gauge, (key) => seen.has(key));
  }

  /**
   * Removes every series of an ended upgrade: without this, each upgrade ever run would stay in
   * /metrics with its last figures. prom-client 15 removes only exact label sets, so these are
   * the ones recorded as they were set.
   */
  forget(upgrade: UpgradeKey): void {
    const key = upgradeKey(upgrade);
    for (const [gauge, sets] of this.books.get(key) ?? [])
      for (const labels of sets.values()) gauge.remove(labels);
    this.books.delete(key);
  }

  /** Counts one reconcile tick. */
  reconciled(outcome: "ok" | "conflict" | "error"): void {
    this.reconciles.inc({ outcome });
  }
}
