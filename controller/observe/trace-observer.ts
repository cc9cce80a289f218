/**
 * The Observer port over TraceManager data: every figure the engine needs comes from the trace
 * store (counters, ingress counts, pod reports with Envoy's own figures, analysis samples), the
 * Workloads port (replicas), the Router (epoch in the table) and a backend's validation facts.
 * Only figures certified by a pod's watermark are trusted by the engine; this class reports
 * them as they are and never fills a gap with a guess (G4).
 */
import { Phase } from "../engine/phases.js";
import type { ServiceSpec, UpgradeSpec, UpgradeStatus } from "../engine/types.js";
import type {
  PodObservation,
  ServiceObservation,
  TransactionObservation,
  ValidationFacts,
  VersionObservation,
} from "../engine/types.js";
import type { GatheredObservations, Observer } from "../ports/observer.js";
import type { Router } from "../ports/router.js";
import type { Workloads } from "../ports/workloads.js";
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
  /** Namespace of the train's services. */
  readonly namespace: string;
  /** Validation facts (§4.1), gathered by the backend. */
  readonly validationFacts: (upgradeId: string, spec: UpgradeSpec) => Promise<ValidationFacts>;
  /** Pods that are shutting down (they do not confirm). */
  readonly terminatingPods?: () => ReadonlySet<string>;
  /** True for a pod that no longer exists: its last report is ignored (a removed pod routes nothing). */
  readonly podGone?: (report: PodReport) => boolean;
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

  async observe(
    upgradeId: string,
    spec: UpgradeSpec,
    status: UpgradeStatus,
    now: number,
  ): Promise<GatheredObservations> {
    const { traceStore, router } = this.deps;
    const [allReports, ingress, violations, epochInTable, validation] = await Promise.all([
      traceStore.pods(),
      traceStore.ingress(upgradeId),
      traceStore.violations(),
      router.epochInTable({ id: upgradeId, spec }),
      // Only Validating reads them, and gathering them can be costly on a real cluster.
      status.phase === Phase.Validating ? this.deps.validationFacts(upgradeId, spec) : undefined,
    ]);
    const terminating = this.deps.terminatingPods?.() ?? new Set<string>();
    const gone = this.deps.podGone;
    const reports = gone === undefined ? allReports : allReports.filter((r) => !gone(r));
    const since = status.engine.instants.stepStartedAt ?? now - 30_000;
    // From the status, not from declareLost calls: it survives a restart of the controller.
    const lost: ReadonlySet<string> = new Set(status.engine.lost);
    const services: Record<string, ServiceObservation> = {};
    const transactions: TransactionObservation[] = [];
    for (const member of spec.services) {
      services[member.name] = await this.observeService(member, reports, terminating, since, now, lost);
      transactions.push(...(await this.oldTransactions(member, lost)));
    }
    return {
      upgradeId,
      ...(validation !== undefined ? { validation } : {}),
      services,
      pods: reports.map((r) => podObservation(r, upgradeId, status.configEpoch, terminating, now)),
      ingress: {
        enrolledInFlight: ingress.enrolledInFlight,
        nonEnrolledInFlight: ingress.nonEnrolledInFlight,
        lastEnrolledStartAt: null,
        lastNonEnrolledStartAt: ingress.lastNonEnrolledStartAt,
      },
      transactions: mergeTransactions(transactions),
      prometheus: {},
      violations: violations.total,
      routes: { epochInTable },
    };
  }

  /**
   * Writes nothing: the engine keeps the ids in `status.engine.lost`, which `observe` reads,
   * and the trace store reports the records when they expire.
   */
  declareLost(): Promise<void> {
    return Promise.resolve();
  }

  private async observeService(
    member: ServiceSpec,
    reports: readonly PodReport[],
    terminating: ReadonlySet<string>,
    since: number,
    now: number,
    lost: ReadonlySet<string>,
  ): Promise<ServiceObservation> {
    const replicas = await this.deps.workloads.versions(member.name);
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
        endpoints: this.endpoints(member.name, version, reports, terminating),
        activeCalls: active.calls,
        activeTransactions: active.transactions,
        oldestActiveAgeSeconds: oldest === null ? 0 : Math.max(0, (now - oldest) / 1000),
        envoyActive: envoyActive(member.name, version, reports, this.deps.namespace),
        analysis: {
          requests: stats.requests,
          successRate: stats.successRate === null ? null : stats.successRate * 100,
          p99Ms: stats.p99Ms,
        },
      };
    }
    return { versions };
  }

  /** Proxies that route to the host (they list one of its clusters), and how many hold this subset. */
  private endpoints(
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
        if (parsed === undefined || !sameHost(parsed.host, service, this.deps.namespace)) continue;
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

/**
 * A pod's view for the engine. A report without an epoch key for the upgrade means no route
 * configuration of that proxy holds a host of the train (e.g. a gateway that routes only to
 * the first hop): it cannot route to the train with stale routes, so it counts as holding the
 * epoch written last (DESIGN §4.7: only proxies that receive the VirtualService confirm). A
 * null epoch (a configuration holds a train host but no Tranquil route) stays unconfirmed.
 */
function podObservation(
  report: PodReport,
  upgradeId: string,
  writtenEpoch: number,
  terminating: ReadonlySet<string>,
  now: number,
): PodObservation {
  const epoch = upgradeId in report.epochs ? report.epochs[upgradeId] : writtenEpoch;
  return {
    name: report.pod,
    role: report.role,
    ...(report.role === "sidecar" ? { service: report.service, version: report.version } : {}),
    terminating: terminating.has(report.pod),
    configEpoch: epoch ?? null,
    weightVersion: report.weightVersions[upgradeId] ?? null,
    watermark: report.watermark,
    dirty: report.dirty,
    heartbeatAgeMs: Math.max(0, now - report.heartbeatAt),
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
