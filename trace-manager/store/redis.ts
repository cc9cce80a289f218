import type { Cluster, Redis } from "ioredis";
import { TraceStoreError } from "./errors.js";
import { assertName } from "./names.js";
import { type TraceStoreOptions, resolveStoreOptions } from "./options.js";
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
import { readRedisIntegrity } from "./redis-integrity.js";
import { ReadyGate, type RedisSource, type StoreClient, openRedis } from "./redis-client.js";
import { num, runScript } from "./redis-exec.js";
import { RedisKeys } from "./redis-keys.js";
import {
  queryActive,
  queryActiveTransactions,
  queryExpiries,
  queryIngress,
  queryVersionStats,
  queryViolations,
} from "./redis-queries.js";
import { sweepExpired } from "./redis-sweep.js";
import {
  type RedisContext,
  LiveKeys,
  writeCallEnds,
  writeCallStarts,
  writeIngressEnds,
  writeIngressStarts,
  writeOutbound,
} from "./redis-writes.js";
import { type UpgradeInput, assertPodReport, assertUpgrade } from "./upgrades.js";
import {
  assertCallEnds,
  assertCallStarts,
  assertIngressEnds,
  assertIngressStarts,
  assertOutbound,
} from "./validate.js";

/** Options of the Redis store. */
export interface RedisTraceStoreOptions extends TraceStoreOptions {
  /** A client the caller owns (see `STORE_REDIS_OPTIONS` for the settings it should have), or options / a URL. */
  readonly redis: RedisSource;
  /** Prefix of every key. Default `tq`. */
  readonly keyPrefix?: string;
  /** How long a call waits for a (re)connection before rejecting. Default 1 s. */
  readonly readyWaitMs?: number;
}

/**
 * The trace store on Redis: standalone, behind Sentinel, or a Redis Cluster (ADR 0092: pipelines
 * split by hash slot, integrity per shard). Writes are pipelined, one Lua script per service or
 * gateway and batch, and resolve only once Redis acknowledged them. See docs/trace-store.md for
 * the key layout, the buckets and the atomicity argument.
 */
export class RedisTraceStore implements TraceStore {
  private readonly ctx: RedisContext;
  private readonly owned: boolean;
  private readonly readyWaitMs: number;
  private readonly gate: ReadyGate;
  private closed = false;

  constructor(options: RedisTraceStoreOptions) {
    const { client, owned } = openRedis(options.redis);
    const opts = resolveStoreOptions(options);
    this.ctx = {
      client,
      keys: new RedisKeys(options.keyPrefix ?? "tq"),
      opts,
      registered: new Map(),
      liveKeys: new LiveKeys(opts.plan),
    };
    this.owned = owned;
    this.readyWaitMs = options.readyWaitMs ?? 1_000;
    this.gate = new ReadyGate(client);
  }

  /** The underlying client (for health checks and measurements): one Redis, or a Cluster. */
  get client(): StoreClient {
    return this.ctx.client;
  }

  async recordCallStarts(
    batch: readonly CallStart[],
  ): Promise<{ readonly violations: readonly Violation[] }> {
    assertCallStarts(batch);
    if (batch.length === 0) return { violations: [] };
    return { violations: await this.run("recordCallStarts", () => writeCallStarts(this.ctx, batch)) };
  }

  async recordCallEnds(batch: readonly CallEnd[]): Promise<{ readonly clamped: number }> {
    assertCallEnds(batch);
    if (batch.length === 0) return { clamped: 0 };
    return { clamped: await this.run("recordCallEnds", () => writeCallEnds(this.ctx, batch)) };
  }

  async recordOutbound(batch: readonly OutboundSample[]): Promise<void> {
    assertOutbound(batch);
    if (batch.length === 0) return;
    await this.run("recordOutbound", () => writeOutbound(this.ctx, batch));
  }

  async recordIngressStarts(batch: readonly IngressStart[]): Promise<void> {
    assertIngressStarts(batch);
    if (batch.length === 0) return;
    await this.run("recordIngressStarts", () => writeIngressStarts(this.ctx, batch));
  }

  async recordIngressEnds(batch: readonly IngressEnd[]): Promise<{ readonly clamped: number }> {
    assertIngressEnds(batch);
    if (batch.length === 0) return { clamped: 0 };
    return { clamped: await this.run("recordIngressEnds", () => writeIngressEnds(this.ctx, batch)) };
  }

  async reportPod(report: PodReport): Promise<void> {
    assertPodReport(report);
    const value = `${report.heartbeatAt}|${JSON.stringify(report)}`;
    await this.run("reportPod", () => this.ctx.client.hset(this.ctx.keys.pods, report.pod, value));
  }

  async putUpgrade(upgrade: UpgradeInput): Promise<ActiveUpgrade> {
    assertUpgrade(upgrade);
    const rest = {
      id: upgrade.id,
      hosts: [...upgrade.hosts],
      watchEpochs: upgrade.watchEpochs,
      updatedAt: upgrade.at,
    };
    const stored = await this.run("putUpgrade", () =>
      runScript(
        this.ctx.client,
        "tranquilPutUpgrade",
        [this.ctx.keys.upgrades],
        [upgrade.id, upgrade.weight, JSON.stringify(rest), upgrade.weightVersion ?? ""],
      ),
    );
    const [wv, weight, json] = stored as [unknown, unknown, string];
    const kept = JSON.parse(json) as Omit<ActiveUpgrade, "weight" | "weightVersion">;
    return { ...kept, weight: num(weight), weightVersion: num(wv) };
  }

  async removeUpgrade(id: string): Promise<void> {
    assertName("removeUpgrade", "upgrade", id);
    await this.run("removeUpgrade", () => this.ctx.client.hdel(this.ctx.keys.upgrades, id));
  }

  async listUpgrades(): Promise<readonly ActiveUpgrade[]> {
    const all = await this.run("listUpgrades", () => this.ctx.client.hgetall(this.ctx.keys.upgrades));
    return Object.values(all)
      .map((raw) => {
        const [wv = "", weight = "", ...json] = raw.split("|");
        const rest = JSON.parse(json.join("|")) as Omit<ActiveUpgrade, "weight" | "weightVersion">;
        return { ...rest, weight: num(weight), weightVersion: num(wv) };
      })
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async activeAt(service: string, version: string): Promise<ActiveSummary> {
    assertName("activeAt", "service", service);
    assertName("activeAt", "version", version);
    return this.run("activeAt", () => queryActive(this.ctx, service, version));
  }

  async activeTransactions(
    service: string,
    version: string,
    limit: number,
  ): Promise<readonly ActiveTransaction[]> {
    assertName("activeTransactions", "service", service);
    assertName("activeTransactions", "version", version);
    const n = Math.max(0, Math.floor(limit));
    return this.run("activeTransactions", () => queryActiveTransactions(this.ctx, service, version, n));
  }

  async ingress(upgrade: string): Promise<IngressSummary> {
    assertName("ingress", "upgrade", upgrade);
    return this.run("ingress", () => queryIngress(this.ctx, upgrade));
  }

  async versionStats(service: string, version: string, sinceMs: number): Promise<VersionStats> {
    assertName("versionStats", "service", service);
    assertName("versionStats", "version", version);
    return this.run("versionStats", () => queryVersionStats(this.ctx, service, version, sinceMs));
  }

  violations(): Promise<{ readonly total: number; readonly recent: readonly Violation[] }> {
    return this.run("violations", () => queryViolations(this.ctx));
  }

  expiries(): Promise<{ readonly total: number; readonly recent: readonly Expiry[] }> {
    return this.run("expiries", () => queryExpiries(this.ctx));
  }

  async pods(): Promise<readonly PodReport[]> {
    const all = await this.run("pods", () => this.ctx.client.hgetall(this.ctx.keys.pods));
    return Object.values(all)
      .map((raw) => JSON.parse(raw.slice(raw.indexOf("|") + 1)) as PodReport)
      .sort((a, b) => (a.pod < b.pod ? -1 : 1));
  }

  async forgetPods(before: number): Promise<number> {
    const n = await this.run("forgetPods", () =>
      runScript(this.ctx.client, "tranquilForgetPods", [this.ctx.keys.pods], [before]),
    );
    return num(n);
  }

  sweep(now: number): Promise<readonly Expiry[]> {
    return this.run("sweep", () => sweepExpired(this.ctx, now));
  }

  integrity(): Promise<StoreIntegrity> {
    return this.run("integrity", () =>
      readRedisIntegrity(this.ctx.client, this.ctx.keys, this.ctx.opts.clock()),
    );
  }

  async ping(): Promise<void> {
    await this.run("ping", () => this.ctx.client.ping());
  }

  /** Stops taking calls; quits the client if the store created it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.owned) return;
    try {
      await this.ctx.client.quit();
    } catch {
      // Quitting a client whose server is gone fails; dropping the socket is all that is left.
      this.ctx.client.disconnect();
    }
  }

  /** Runs one operation: refuses once closed, waits briefly for a connection, names what failed. */
  private async run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new TraceStoreError("closed", op, "the redis store is closed");
    try {
      await this.gate.wait(op, this.readyWaitMs);
      return await fn();
    } catch (err) {
      if (err instanceof TraceStoreError) throw err;
      const why = err instanceof Error ? err.message : String(err);
      throw new TraceStoreError(
        "unavailable",
        op,
        `redis ${describeClient(this.ctx.client)} failed: ${why}`,
        {
          cause: err,
        },
      );
    }
  }
}

/** Where a client talks to, for messages: host:port, a Sentinel master, or a Cluster's masters. */
function describeClient(client: StoreClient): string {
  if (client.isCluster) {
    const nodes = (client as Cluster)
      .nodes("master")
      .map((n) => `${n.options.host ?? "?"}:${n.options.port ?? "?"}`);
    return `cluster ${nodes.length > 0 ? nodes.join(",") : "(no master known)"}`;
  }
  const { host, port, sentinels, name } = (client as Redis).options;
  return sentinels !== undefined && sentinels !== null && sentinels.length > 0
    ? `the master "${name ?? "?"}" of sentinels ${sentinels.map((s) => `${s.host ?? "?"}:${s.port ?? "?"}`).join(",")}`
    : `${host ?? "?"}:${port ?? "?"}`;
}
