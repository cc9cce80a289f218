import { liveBuckets, statsBuckets } from "./buckets.js";
import type {
  ActiveSummary,
  ActiveTransaction,
  Expiry,
  IngressSummary,
  TraceId,
  TxnId,
  VersionStats,
  Violation,
} from "./port.js";
import { mergeExpiries, mergeViolations } from "./recent.js";
import { num, pipelineAll, runScript, scriptStep, type PipelineStep } from "./redis-exec.js";
import { decodeCallRecord, decodeIngressRecord, scanRecords } from "./redis-records.js";
import type { RedisContext } from "./redis-writes.js";
import { emptyCell, toVersionStats } from "./version-stats.js";

/** Active calls and transactions at service@version, with the oldest start. */
export async function queryActive(
  ctx: RedisContext,
  service: string,
  version: string,
): Promise<ActiveSummary> {
  const keys = liveBuckets(ctx.opts.clock(), ctx.opts.plan).map((b) => ctx.keys.callBucket(service, b));
  const reply = (await runScript(ctx.client, "tranquilActiveSummary", keys, [version])) as unknown[];
  const [calls, transactions, busy] = reply.map(num);
  let oldestStartAt: number | null = null;
  const oldestKey = keys[(busy ?? 0) - 1];
  if (oldestKey !== undefined) {
    await scanRecords(ctx.client, oldestKey, (_txn, raw) => {
      for (const seg of decodeCallRecord(raw).segments) {
        if (seg.version !== version || seg.count === 0) continue;
        oldestStartAt = Math.min(oldestStartAt ?? seg.startedAt, seg.startedAt);
      }
    });
  }
  return { calls: calls ?? 0, transactions: transactions ?? 0, oldestStartAt };
}

/** Active transactions at service@version, oldest start first, at most `limit`. */
export async function queryActiveTransactions(
  ctx: RedisContext,
  service: string,
  version: string,
  limit: number,
): Promise<ActiveTransaction[]> {
  if (limit <= 0) return [];
  const keys = liveBuckets(ctx.opts.clock(), ctx.opts.plan).map((b) => ctx.keys.callBucket(service, b));
  const busy = ((await runScript(ctx.client, "tranquilBusyBuckets", keys, [version])) as unknown[]).map(num);
  const out: ActiveTransaction[] = [];
  // Whole busy buckets, oldest first, until the limit is reached; then sort and trim.
  for (const [i, key] of keys.entries()) {
    if (out.length >= limit) break;
    if ((busy[i] ?? 0) === 0) continue;
    await scanRecords(ctx.client, key, (txn, raw) => {
      const rec = decodeCallRecord(raw);
      for (const seg of rec.segments) {
        if (seg.version !== version || seg.count === 0) continue;
        out.push({
          txn: txn as TxnId,
          ...(rec.traceId === "" ? {} : { traceId: rec.traceId as TraceId }),
          startedAt: seg.startedAt,
          lastSeenAt: seg.lastSeenAt,
          calls: seg.count,
        });
      }
    });
  }
  return out.sort((a, b) => a.startedAt - b.startedAt || (a.txn < b.txn ? -1 : 1)).slice(0, limit);
}

/** In-flight ingress transactions of one upgrade over every gateway. */
export async function queryIngress(ctx: RedisContext, upgrade: string): Promise<IngressSummary> {
  const gateways = await ctx.client.smembers(ctx.keys.gateways);
  const live = liveBuckets(ctx.opts.clock(), ctx.opts.plan);
  let enrolledInFlight = 0;
  let nonEnrolledInFlight = 0;
  let lastNonEnrolledStartAt: number | null = null;
  let oldestInFlightStartAt: number | null = null;
  if (gateways.length === 0)
    return { enrolledInFlight, nonEnrolledInFlight, lastNonEnrolledStartAt, oldestInFlightStartAt };
  const bucketKeys = gateways.map((gw) => live.map((b) => ctx.keys.ingressBucket(gw, b)));
  const replies = await pipelineAll(
    ctx.client,
    gateways.map((gw, i) =>
      scriptStep("tranquilIngressSummary", [...(bucketKeys[i] ?? []), ctx.keys.stats(gw)], [upgrade]),
    ),
  );
  for (const [i, reply] of replies.entries()) {
    const [e = 0, n = 0, last = -1, busy = 0] = (reply as unknown[]).map(num);
    enrolledInFlight += e;
    nonEnrolledInFlight += n;
    if (last !== -1) lastNonEnrolledStartAt = Math.max(lastNonEnrolledStartAt ?? last, last);
    const oldestKey = bucketKeys[i]?.[busy - 1];
    if (oldestKey === undefined) continue;
    await scanRecords(ctx.client, oldestKey, (_txn, raw) => {
      const rec = decodeIngressRecord(raw);
      if (!rec.upgrades.has(upgrade)) return;
      oldestInFlightStartAt = Math.min(oldestInFlightStartAt ?? rec.startedAt, rec.startedAt);
    });
  }
  return { enrolledInFlight, nonEnrolledInFlight, lastNonEnrolledStartAt, oldestInFlightStartAt };
}

/** Success rate and p99 of service@version from the stats buckets since `sinceMs`. */
export async function queryVersionStats(
  ctx: RedisContext,
  service: string,
  version: string,
  sinceMs: number,
): Promise<VersionStats> {
  const buckets = statsBuckets(sinceMs, ctx.opts.clock(), ctx.opts.statsBucketMs, ctx.opts.statsRetentionMs);
  const total = emptyCell();
  if (buckets.length === 0) return toVersionStats(total);
  const steps = buckets.map((b): PipelineStep => {
    const key = ctx.keys.outbound(service, version, b);
    return { key, queue: (p) => p.hgetall(key) };
  });
  for (const reply of await pipelineAll(ctx.client, steps)) {
    for (const [field, value] of Object.entries(reply as Record<string, string>)) {
      const n = num(value);
      if (field === "n") total.requests += n;
      else if (field === "ok") total.successes += n;
      else if (field.startsWith("h")) {
        const bin = num(field.slice(1));
        total.bins.set(bin, (total.bins.get(bin) ?? 0) + n);
      }
    }
  }
  return toVersionStats(total);
}

/** Every tag (service or gateway) the store has written under (two reads: the sets may lie in two Cluster slots). */
export async function allTags(ctx: RedisContext): Promise<string[]> {
  const [services, gateways] = await Promise.all([
    ctx.client.smembers(ctx.keys.services),
    ctx.client.smembers(ctx.keys.gateways),
  ]);
  return [...new Set([...services, ...gateways])];
}

/** Totals and recent entries of one per-tag log, merged over every tag. */
async function queryLog(
  ctx: RedisContext,
  totalField: string,
  listOf: (tag: string) => string,
): Promise<{ total: number; lists: string[][] }> {
  const tags = await allTags(ctx);
  if (tags.length === 0) return { total: 0, lists: [] };
  const steps: PipelineStep[] = [];
  for (const tag of tags) {
    const stats = ctx.keys.stats(tag);
    const list = listOf(tag);
    steps.push({ key: stats, queue: (p) => p.hget(stats, totalField) });
    steps.push({ key: list, queue: (p) => p.lrange(list, 0, ctx.opts.recentLimit - 1) });
  }
  const replies = await pipelineAll(ctx.client, steps);
  let total = 0;
  const lists: string[][] = [];
  for (let i = 0; i < replies.length; i += 2) {
    total += replies[i] == null ? 0 : num(replies[i]);
    lists.push(replies[i + 1] as string[]);
  }
  return { total, lists };
}

/** Violations: the total and the newest `recentLimit`. */
export async function queryViolations(ctx: RedisContext): Promise<{ total: number; recent: Violation[] }> {
  const { total, lists } = await queryLog(ctx, "violations", (t) => ctx.keys.violations(t));
  const parsed = lists.map((l) => l.map((j) => JSON.parse(j) as Violation));
  return { total, recent: mergeViolations(parsed, ctx.opts.recentLimit) };
}

/** Expiries: the total and the newest `recentLimit`. */
export async function queryExpiries(ctx: RedisContext): Promise<{ total: number; recent: Expiry[] }> {
  const { total, lists } = await queryLog(ctx, "expiries", (t) => ctx.keys.expiries(t));
  const parsed = lists.map((l) => l.map((j) => JSON.parse(j) as Expiry));
  return { total, recent: mergeExpiries(parsed, ctx.opts.recentLimit) };
}
