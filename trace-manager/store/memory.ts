import { TraceStoreError } from "./errors.js";
import { MemoryCalls } from "./memory-calls.js";
import { MemoryIngress } from "./memory-ingress.js";
import { MemoryStats } from "./memory-stats.js";
import { type ResolvedStoreOptions, type TraceStoreOptions, resolveStoreOptions } from "./options.js";
import type {
  ActiveSummary,
  ActiveTransaction,
  ActiveUpgrade,
  CallEnd,
  CallStart,
  Expiry,
  IngressEnd,
  IngressStart,
  IngressSummary,
  OutboundSample,
  PodReport,
  StoreIntegrity,
  TraceStore,
  VersionStats,
  Violation,
} from "./port.js";
import { RecentLog, mergeExpiries, mergeViolations } from "./recent.js";
import { type UpgradeInput, assertPodReport, assertUpgrade, nextUpgrade } from "./upgrades.js";
import {
  assertCallEnds,
  assertCallStarts,
  assertIngressEnds,
  assertIngressStarts,
  assertOutbound,
} from "./validate.js";
import { assertName } from "./names.js";

/** Options of the in-memory store. */
export type MemoryTraceStoreOptions = TraceStoreOptions;

/**
 * The embedded trace store (local mesh, demo, tests): the same behaviour as the Redis store on the
 * contract suite, in one process. Expiry works as in Redis: records live in time buckets that
 * `sweep()` drops whole, reporting every active record in them.
 */
export class MemoryTraceStore implements TraceStore {
  private readonly opts: ResolvedStoreOptions;
  private readonly calls: MemoryCalls;
  private readonly ingressRecords: MemoryIngress;
  private readonly stats: MemoryStats;
  private readonly violationLog: RecentLog<Violation>;
  private readonly expiryLog: RecentLog<Expiry>;
  private readonly upgrades = new Map<string, ActiveUpgrade>();
  private readonly podReports = new Map<string, PodReport>();
  private closed = false;
  /** Lives and dies with this object, as the records do. */
  private readonly generation = `${Date.now()}-memory-${Math.random().toString(36).slice(2)}`;

  constructor(options: MemoryTraceStoreOptions = {}) {
    this.opts = resolveStoreOptions(options);
    this.calls = new MemoryCalls(this.opts.plan);
    this.ingressRecords = new MemoryIngress(this.opts.plan);
    this.stats = new MemoryStats(this.opts.statsBucketMs, this.opts.statsRetentionMs);
    this.violationLog = new RecentLog(this.opts.recentLimit);
    this.expiryLog = new RecentLog(this.opts.recentLimit);
  }

  recordCallStarts(batch: readonly CallStart[]): Promise<{ readonly violations: readonly Violation[] }> {
    return this.op("recordCallStarts", () => {
      assertCallStarts(batch);
      const now = this.opts.clock();
      const violations: Violation[] = [];
      for (const c of batch) {
        const v = this.calls.start(c, now);
        if (v === undefined) continue;
        violations.push(v);
        this.violationLog.push(c.service, v);
      }
      return { violations };
    });
  }

  recordCallEnds(batch: readonly CallEnd[]): Promise<{ readonly clamped: number }> {
    return this.op("recordCallEnds", () => {
      assertCallEnds(batch);
      const now = this.opts.clock();
      let clamped = 0;
      for (const c of batch) if (!this.calls.end(c, now)) clamped++;
      return { clamped };
    });
  }

  recordOutbound(batch: readonly OutboundSample[]): Promise<void> {
    return this.op("recordOutbound", () => {
      assertOutbound(batch);
      const now = this.opts.clock();
      for (const s of batch) this.stats.add(s, now);
    });
  }

  recordIngressStarts(batch: readonly IngressStart[]): Promise<void> {
    return this.op("recordIngressStarts", () => {
      assertIngressStarts(batch);
      const now = this.opts.clock();
      for (const s of batch) this.ingressRecords.start(s, now);
    });
  }

  recordIngressEnds(batch: readonly IngressEnd[]): Promise<{ readonly clamped: number }> {
    return this.op("recordIngressEnds", () => {
      assertIngressEnds(batch);
      const now = this.opts.clock();
      let clamped = 0;
      for (const e of batch) if (!this.ingressRecords.end(e, now)) clamped++;
      return { clamped };
    });
  }

  reportPod(report: PodReport): Promise<void> {
    return this.op("reportPod", () => {
      assertPodReport(report);
      this.podReports.set(report.pod, structuredClone(report));
    });
  }

  putUpgrade(upgrade: UpgradeInput): Promise<ActiveUpgrade> {
    return this.op("putUpgrade", () => {
      assertUpgrade(upgrade);
      const next = nextUpgrade(this.upgrades.get(upgrade.id), upgrade);
      this.upgrades.set(next.id, next);
      return next;
    });
  }

  removeUpgrade(id: string): Promise<void> {
    return this.op("removeUpgrade", () => {
      assertName("removeUpgrade", "upgrade", id);
      this.upgrades.delete(id);
    });
  }

  listUpgrades(): Promise<readonly ActiveUpgrade[]> {
    return this.op("listUpgrades", () => [...this.upgrades.values()].sort((a, b) => (a.id < b.id ? -1 : 1)));
  }

  activeAt(service: string, version: string): Promise<ActiveSummary> {
    return this.op("activeAt", () => {
      assertName("activeAt", "service", service);
      assertName("activeAt", "version", version);
      return this.calls.summary(service, version, this.opts.clock());
    });
  }

  activeTransactions(service: string, version: string, limit: number): Promise<readonly ActiveTransaction[]> {
    return this.op("activeTransactions", () => {
      assertName("activeTransactions", "service", service);
      assertName("activeTransactions", "version", version);
      return this.calls.list(service, version, Math.max(0, Math.floor(limit)), this.opts.clock());
    });
  }

  ingress(upgrade: string): Promise<IngressSummary> {
    return this.op("ingress", () => {
      assertName("ingress", "upgrade", upgrade);
      return this.ingressRecords.summary(upgrade, this.opts.clock());
    });
  }

  versionStats(service: string, version: string, sinceMs: number): Promise<VersionStats> {
    return this.op("versionStats", () => {
      assertName("versionStats", "service", service);
      assertName("versionStats", "version", version);
      return this.stats.query(service, version, sinceMs, this.opts.clock());
    });
  }

  violations(): Promise<{ readonly total: number; readonly recent: readonly Violation[] }> {
    return this.op("violations", () => ({
      total: this.violationLog.total,
      recent: mergeViolations(this.violationLog.values(), this.opts.recentLimit),
    }));
  }

  expiries(): Promise<{ readonly total: number; readonly recent: readonly Expiry[] }> {
    return this.op("expiries", () => ({
      total: this.expiryLog.total,
      recent: mergeExpiries(this.expiryLog.values(), this.opts.recentLimit),
    }));
  }

  pods(): Promise<readonly PodReport[]> {
    return this.op("pods", () =>
      [...this.podReports.values()].map((r) => structuredClone(r)).sort((a, b) => (a.pod < b.pod ? -1 : 1)),
    );
  }

  forgetPods(before: number): Promise<number> {
    return this.op("forgetPods", () => {
      let n = 0;
      for (const [pod, r] of this.podReports) {
        if (r.heartbeatAt >= before) continue;
        this.podReports.delete(pod);
        n++;
      }
      return n;
    });
  }

  sweep(now: number): Promise<readonly Expiry[]> {
    return this.op("sweep", () => {
      const expired = [...this.calls.sweep(now), ...this.ingressRecords.sweep(now)];
      for (const e of expired)
        this.expiryLog.push(e.kind === "call" ? (e.where.split("@")[0] ?? e.where) : e.where, e);
      this.stats.prune(now);
      return expired;
    });
  }

  /** A memory store never evicts and has no server: only its generation, fixed for its lifetime. */
  integrity(): Promise<StoreIntegrity> {
    return this.op("integrity", () => ({
      generation: this.generation,
      serverId: null,
      evictionPolicy: null,
      maxMemoryBytes: null,
      evictedKeys: null,
    }));
  }

  ping(): Promise<void> {
    return this.op("ping", () => undefined);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /** Runs `fn` as the async operation `op`, refusing once closed and turning throws into rejections. */
  private op<T>(op: string, fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new TraceStoreError("closed", op, "the memory store is closed"));
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
