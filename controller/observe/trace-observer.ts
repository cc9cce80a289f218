/**
 * The Observer port over TraceManager data: every figure the engine needs comes from the trace
 * store (counters, ingress counts, pod reports with Envoy's own figures, analysis samples), the
 * Workloads port (replicas), the Router (epoch in the table), the Inventory (which proxies
 * exist, so one that never reports is never skipped), the MetricsQuery port (Prometheus
 * checks) and a backend's validation facts.
 * Only figures certified by a pod's watermark are trusted by the engine; this class reports
 * them as they are and never fills a gap with a guess (G4).
 */
import { Phase, Stage } from "../engine/phases.js";
import type { ServiceSpec, UpgradeStatus } from "../engine/types.js";
import type {
  PodObservation,
  ServiceObservation,
  TransactionObservation,
  ValidationFacts,
  VersionObservation,
} from "../engine/types.js";
import type { Inventory, ProxyEntry } from "../ports/inventory.js";
import type { MetricsQuery } from "../ports/metrics-query.js";
import type { GatheredObservations, Observer } from "../ports/observer.js";
import type { Router, UpgradeRef } from "../ports/router.js";
import type { Workloads } from "../ports/workloads.js";
import { prometheusChecks } from "./prometheus-checks.js";
import type {
  ActiveSummary,
  ActiveTransaction,
  PodReport,
  TraceStore,
} from "../../trace-manager/store/port.js";
import { parseOutboundCluster, sameHost } from "./clusters.js";

/** Dependencies of {@link TraceObserver}. */
export interface TraceObserverDeps {
  readonly traceStore: TraceStore;
  readonly workloads: Workloads;
  readonly router: Router;
  /** Which proxies exist: reports of pods it does not list are ignored (a removed pod routes nothing). */
  readonly inventory: Inventory;
  /** Validation facts (§4.1), gathered by the backend. */
  readonly validationFacts: (upgrade: UpgradeRef) => Promise<ValidationFacts>;
  /** The install's Prometheus provider, when one is configured. */
  readonly metrics?: MetricsQuery;
  /** The provider of an upgrade that names its own `analysis.prometheusAddress`. */
  readonly metricsAt?: (address: string) => MetricsQuery;
  /** How long one Prometheus query may take. */
  readonly metricsTimeoutMs?: number;
  /** Most pin candidates read per old version. */
  readonly transactionLimit?: number;
}

/**
 * Observer over the trace store. Transactions the engine declared lost (`status.engine.lost`)
 * stop counting in what it reports: the activity, transactions and oldest age of each
 * version, and the transactions at `old`. The trace store keeps their records until they
 * expire by its own maxTransactionAge, which can be far longer than the upgrade's, and its
 * ingress counts still include them (the store has no query to leave them out).
 */
export class TraceObserver implements Observer {
  constructor(private readonly deps: TraceObserverDeps) {}

  async observe(upgrade: UpgradeRef, status: UpgradeStatus, now: number): Promise<GatheredObservations> {
    const { traceStore, router } = this.deps;
    const upgradeId = upgrade.id;
    const metrics = this.metricsFor(upgrade);
    const [allReports, proxies, ingress, violations, epochInTable, mustConfirm, facts, prometheus] =
      await Promise.all([
        traceStore.pods(),
        this.deps.inventory.proxies(upgrade.namespace),
        traceStore.ingress(upgradeId),
        traceStore.violations(),
        router.epochInTable(upgrade),
        this.gatewayPodsThatMustConfirm(upgrade),
        // Only Validating reads them, and gathering them can be costly on a real cluster.
        status.phase === Phase.Validating ? this.deps.validationFacts(upgrade) : undefined,
        // Only Shifting's analysis reads them; a query per tick elsewhere (waiting for a weight to
        // be confirmed, too) would load Prometheus for nothing.
        status.phase === Phase.Shifting && status.engine.stage === Stage.Analyse
          ? prometheusChecks(
              upgrade.spec,
              upgrade.namespace,
              metrics,
              now,
              this.deps.metricsTimeoutMs ?? 5_000,
            )
          : undefined,
      ]);
    const known = new Map(proxies.map((p) => [p.pod, p]));
    const terminating = new Set(proxies.filter((p) => p.terminating).map((p) => p.pod));
    const reports = allReports.filter((r) => known.has(r.pod));
    const since = status.engine.instants.stepStartedAt ?? now - 30_000;
    // From the status, not from declareLost calls: it survives a restart of the controller.
    const lost: ReadonlySet<string> = new Set(status.engine.lost);
    const services: Record<string, ServiceObservation> = {};
    const transactions: TransactionObservation[] = [];
    for (const member of upgrade.spec.services) {
      services[member.name] = await this.observeService(
        upgrade.namespace,
        member,
        reports,
        terminating,
        since,
        now,
        lost,
      );
      transactions.push(...(await this.oldTransactions(member, lost)));
    }
    const reported = new Set(reports.map((r) => r.pod));
    const validation =
      facts === undefined ? undefined : { ...facts, metricsProvider: metrics?.describe ?? null };
    return {
      upgradeId,
      namespace: upgrade.namespace,
      ...(validation !== undefined ? { validation } : {}),
      services,
      pods: [
        ...reports.map((r) =>
          podObservation(r, upgradeId, mustConfirm.has(r.pod) ? null : status.configEpoch, terminating, now),
        ),
        ...proxies.filter((p) => !reported.has(p.pod)).map(silentPod),
      ],
      ingress: {
        enrolledInFlight: ingress.enrolledInFlight,
        nonEnrolledInFlight: ingress.nonEnrolledInFlight,
        lastEnrolledStartAt: null,
        lastNonEnrolledStartAt: ingress.lastNonEnrolledStartAt,
      },
      transactions: mergeTransactions(transactions),
      prometheus: prometheus?.values ?? {},
      ...(prometheus !== undefined && Object.keys(prometheus.errors).length > 0
        ? { prometheusErrors: prometheus.errors }
        : {}),
      violations: violations.total,
      routes: { epochInTable },
    };
  }

  /** The upgrade's own Prometheus when its spec names one, else the install's. */
  private metricsFor(upgrade: UpgradeRef): MetricsQuery | undefined {
    const address = upgrade.spec.strategy?.analysis?.prometheusAddress;
    return address !== undefined && this.deps.metricsAt !== undefined
      ? this.deps.metricsAt(address)
      : address !== undefined
        ? undefined
        : this.deps.metrics;
  }

  /**
   * The gateway pods that serve a Gateway bound by a VirtualService carrying this upgrade's
   * sentinel (Router × Inventory): their reports must name an epoch (ADR 0090).
   */
  private async gatewayPodsThatMustConfirm(upgrade: UpgradeRef): Promise<ReadonlySet<string>> {
    const [bound, gateways] = await Promise.all([
      this.deps.router.sentinelGateways(upgrade),
      this.deps.inventory.gateways(),
    ]);
    const wanted = new Set(bound);
    const pods = new Set<string>();
    for (const g of gateways)
      if (wanted.has(`${g.namespace}/${g.name}`)) for (const pod of g.pods) pods.add(pod);
    return pods;
  }

  /**
   * Writes nothing: the engine keeps the ids in `status.engine.lost`, which `observe` reads,
   * and the trace store reports the records when they expire.
   */
  declareLost(): Promise<void> {
    return Promise.resolve();
  }

  private async observeService(
    namespace: string,
    member: ServiceSpec,
    reports: readonly PodReport[],
    terminating: ReadonlySet<string>,
    since: number,
    now: number,
    lost: ReadonlySet<string>,
  ): Promise<ServiceObservation> {
    const replicas = await this.deps.workloads.versions({ namespace, service: member.name });
    const versions: Record<string, VersionObservation> = {};
    for (const version of new Set([member.from, member.to, ...replicas.map((r) => r.version)])) {
      const [active, stats] = await Promise.all([
        this.activeAt(member.name, version, lost),
        this.deps.traceStore.versionStats(member.name, version, since),
      ]);
      const oldest = active.oldestStartAt;
      const r = replicas.find((x) => x.version === version);
      versions[version] = {
        desiredReplicas: r?.desired ?? 0,
        readyReplicas: r?.ready ?? 0,
        endpoints: endpoints(namespace, member.name, version, reports, terminating),
        activeCalls: active.calls,
        activeTransactions: active.transactions,
        oldestActiveAgeSeconds: oldest === null ? 0 : Math.max(0, (now - oldest) / 1000),
        envoyActive: envoyActive(member.name, version, reports, namespace),
        analysis: {
          requests: stats.requests,
          successRate: stats.successRate === null ? null : stats.successRate * 100,
          p99Ms: stats.p99Ms,
        },
      };
    }
    return { versions };
  }

  /** The store's activity at service@version, less the lost transactions. */
  private async activeAt(
    service: string,
    version: string,
    lost: ReadonlySet<string>,
  ): Promise<ActiveSummary> {
    const summary = await this.deps.traceStore.activeAt(service, version);
    if (lost.size === 0 || summary.transactions === 0) return summary;
    const limit = this.limit();
    return withoutLost(
      summary,
      await this.deps.traceStore.activeTransactions(service, version, limit),
      lost,
      limit,
    );
  }

  private limit(): number {
    return this.deps.transactionLimit ?? 1_000;
  }

  private async oldTransactions(
    member: ServiceSpec,
    lost: ReadonlySet<string>,
  ): Promise<TransactionObservation[]> {
    const rows = await this.deps.traceStore.activeTransactions(member.name, member.from, this.limit());
    return rows
      .filter((r) => !lost.has(r.txn))
      .map((r) => ({
        id: r.txn,
        startedAt: r.startedAt,
        lastSeenAt: r.lastSeenAt,
        activeCallsAtOld: r.calls,
      }));
  }
}

/**
 * `summary` less the lost transactions among `rows` (the store's oldest-first list, at most
 * `limit`). Lost ones are past maxTransactionAge, so they are the oldest and in the list.
 * When the list was cut at `limit` and holds only lost ones, the oldest start left is unknown
 * and the store's is kept: an age too high only makes the drain wait longer.
 */
function withoutLost(
  summary: ActiveSummary,
  rows: readonly ActiveTransaction[],
  lost: ReadonlySet<string>,
  limit: number,
): ActiveSummary {
  const gone = rows.filter((r) => lost.has(r.txn));
  if (gone.length === 0) return summary;
  const oldestLeft = rows.find((r) => !lost.has(r.txn))?.startedAt;
  // The two reads are not atomic: a call that ended in between must not go below zero.
  const calls = Math.max(0, summary.calls - gone.reduce((n, r) => n + r.calls, 0));
  const transactions = Math.max(0, summary.transactions - gone.length);
  return {
    calls,
    transactions,
    oldestStartAt:
      transactions === 0 ? null : (oldestLeft ?? (rows.length < limit ? null : summary.oldestStartAt)),
  };
}

/** Proxies that route to the host (they list one of its clusters), and how many hold this subset. */
function endpoints(
  namespace: string,
  service: string,
  version: string,
  reports: readonly PodReport[],
  terminating: ReadonlySet<string>,
): VersionObservation["endpoints"] {
  let proxies = 0;
  let healthyAt = 0;
  for (const report of reports) {
    if (terminating.has(report.pod) || report.envoy === undefined) continue;
    let routesHost = false;
    let healthy = 0;
    for (const [cluster, count] of Object.entries(report.envoy.healthyEndpoints)) {
      const parsed = parseOutboundCluster(cluster);
      if (parsed === undefined || !sameHost(parsed.host, service, namespace)) continue;
      routesHost = true;
      if (parsed.subset === version) healthy += count;
    }
    if (!routesHost) continue;
    proxies += 1;
    if (healthy > 0) healthyAt += 1;
  }
  // Envoy's /clusters lists only hosts it still has; a leaving host is reported unhealthy, so
  // "listed" and "healthy" coincide in these figures.
  return { proxies, healthyAt, listedAt: healthyAt };
}

/**
 * A proxy the inventory lists but whose TraceManager has never reported (or that runs without
 * one): nothing it routes by is known, so it confirms nothing and certifies nothing, and the
 * engine names it among the stale pods until it reports (DESIGN §4.7: never skipped silently).
 */
function silentPod(proxy: ProxyEntry): PodObservation {
  return {
    name: proxy.pod,
    role: proxy.role,
    ...(proxy.service !== undefined ? { service: proxy.service } : {}),
    ...(proxy.version !== undefined ? { version: proxy.version } : {}),
    terminating: proxy.terminating,
    configEpoch: null,
    weightVersion: null,
    watermark: null,
    dirty: true,
    heartbeatAgeMs: Number.MAX_SAFE_INTEGER,
  };
}

/**
 * A pod's view for the engine. A report without an epoch key for the upgrade means no route
 * configuration of that proxy holds a host of the train or a route of the upgrade (e.g. a
 * gateway that routes only to the first hop): it cannot route to the train with stale routes,
 * so it counts as holding `absentEpoch`, the epoch written last (DESIGN §4.7: only proxies
 * that receive the VirtualService confirm), or null (unconfirmed) for a gateway that the
 * table binds to the upgrade's routes (ADR 0090). A null epoch (a configuration holds a train
 * host but no Tranquil route) stays unconfirmed.
 */
function podObservation(
  report: PodReport,
  upgradeId: string,
  absentEpoch: number | null,
  terminating: ReadonlySet<string>,
  now: number,
): PodObservation {
  const epoch = upgradeId in report.epochs ? report.epochs[upgradeId] : absentEpoch;
  return {
    name: report.pod,
    role: report.role,
    ...(report.role === "sidecar" ? { service: report.service, version: report.version } : {}),
    terminating: terminating.has(report.pod),
    configEpoch: epoch ?? null,
    weightVersion: report.weightVersions[upgradeId] ?? null,
    watermark: report.watermark,
    dirty: report.dirty,
    dirtyReasons: report.dirtyReasons,
    ...(report.heldUntil !== undefined ? { heldUntil: report.heldUntil } : {}),
    heartbeatAgeMs: Math.max(0, now - report.heartbeatAt),
    ...(report.ignoredRequestIds !== undefined
      ? {
          ignoredRequestIds: {
            total: report.ignoredRequestIds.total,
            lastAt: report.ignoredRequestIds.lastAt,
          },
        }
      : {}),
  };
}

/** Envoy's ground truth for one version: its pods' inbound active requests plus callers' upstream active and pending. */
function envoyActive(
  service: string,
  version: string,
  reports: readonly PodReport[],
  namespace: string,
): number | null {
  let total = 0;
  let reported = false;
  for (const report of reports) {
    const envoy = report.envoy;
    if (envoy === undefined) continue;
    if (report.role === "sidecar" && report.service === service && report.version === version) {
      total += envoy.downstreamRqActive;
      reported = true;
    }
    for (const [cluster, figures] of Object.entries(envoy.upstream)) {
      const parsed = parseOutboundCluster(cluster);
      if (parsed === undefined || parsed.subset !== version || !sameHost(parsed.host, service, namespace))
        continue;
      total += figures.rqActive + figures.rqPendingActive;
      reported = true;
    }
  }
  return reported ? total : null;
}

/** One row per transaction: calls summed over the train's old versions, earliest start, latest activity. */
function mergeTransactions(rows: readonly TransactionObservation[]): TransactionObservation[] {
  const byId = new Map<string, TransactionObservation>();
  for (const row of rows) {
    const seen = byId.get(row.id);
    byId.set(
      row.id,
      seen === undefined
        ? row
        : {
            id: row.id,
            startedAt: Math.min(seen.startedAt, row.startedAt),
            lastSeenAt: Math.max(seen.lastSeenAt, row.lastSeenAt),
            activeCallsAtOld: seen.activeCallsAtOld + row.activeCallsAtOld,
          },
    );
  }
  return [...byId.values()];
}
