import { lastExpiredBucket } from "./buckets.js";
import type { Expiry, TxnId } from "./port.js";
import { num, pipelineAll, runScript } from "./redis-exec.js";
import { decodeCallRecord, decodeIngressRecord, scanRecords } from "./redis-records.js";
import type { RedisContext } from "./redis-writes.js";

/** A claim older than this (in the sweep's clock) was left by a crashed sweeper and is redone. */
const STALE_CLAIM_MS = 60_000;

type Kind = "c" | "i";

/** Reads a claimed bucket and lists the active records in it (early ends are not active). */
async function readClaim(
  ctx: RedisContext,
  tag: string,
  kind: Kind,
  b: number,
  now: number,
): Promise<Expiry[]> {
  const out: Expiry[] = [];
  await scanRecords(ctx.client, ctx.keys.claimed(tag, kind, b), (txn, raw) => {
    if (kind === "i") {
      const rec = decodeIngressRecord(raw);
      if (rec.earlyEnd) return;
      out.push({ kind: "ingress", txn: txn as TxnId, where: tag, startedAt: rec.startedAt, expiredAt: now });
      return;
    }
    for (const seg of decodeCallRecord(raw).segments) {
      if (seg.count === 0) continue;
      const where = `${tag}@${seg.version}`;
      out.push({ kind: "call", txn: txn as TxnId, where, startedAt: seg.startedAt, expiredAt: now });
    }
  });
  return out;
}

/** Reads and finishes one claim; returns its expiries if this call finished it, else none. */
async function finishClaim(
  ctx: RedisContext,
  tag: string,
  kind: Kind,
  b: number,
  now: number,
): Promise<Expiry[]> {
  const expiries = await readClaim(ctx, tag, kind, b, now);
  const recent = expiries.slice(-ctx.opts.recentLimit).map((e) => JSON.stringify(e));
  const keys = [
    ctx.keys.claimed(tag, kind, b),
    ctx.keys.claims(tag),
    ctx.keys.stats(tag),
    ctx.keys.expiries(tag),
  ];
  const args = [`${kind}:${b}`, ctx.opts.recentLimit, expiries.length, ...recent];
  const finished = num(await runScript(ctx.client, "tranquilSweepFinish", keys, args));
  return finished === 1 ? expiries : [];
}

/** Sweeps one service's (kind `c`) or gateway's (kind `i`) expired buckets and stale claims. */
async function sweepTag(ctx: RedisContext, tag: string, kind: Kind, now: number): Promise<Expiry[]> {
  const index = kind === "c" ? ctx.keys.callIndex(tag) : ctx.keys.ingressIndex(tag);
  const bucketKey = (b: number): string =>
    kind === "c" ? ctx.keys.callBucket(tag, b) : ctx.keys.ingressBucket(tag, b);
  const claims = ctx.keys.claims(tag);
  const [expired, stale] = (await pipelineAll(ctx.client, [
    { key: index, queue: (p) => p.zrangebyscore(index, "-inf", lastExpiredBucket(now, ctx.opts.plan)) },
    { key: claims, queue: (p) => p.zrangebyscore(claims, "-inf", now - STALE_CLAIM_MS) },
  ])) as [string[], string[]];
  const todo: number[] = [];
  for (const id of expired) {
    const b = num(id);
    const keys = [bucketKey(b), ctx.keys.claimed(tag, kind, b), index, ctx.keys.claims(tag)];
    if (num(await runScript(ctx.client, "tranquilSweepClaim", keys, [b, `${kind}:${b}`, now])) === 1)
      todo.push(b);
  }
  for (const member of stale) {
    const [k, b] = member.split(":");
    if (k === kind && b !== undefined) todo.push(num(b));
  }
  const out: Expiry[] = [];
  for (const b of todo) out.push(...(await finishClaim(ctx, tag, kind, b, now)));
  return out;
}

/**
 * Drops every expired bucket of every service and gateway; returns the active records dropped,
 * each reported by exactly one sweeper.
 */
export async function sweepExpired(ctx: RedisContext, now: number): Promise<Expiry[]> {
  const [services, gateways] = await Promise.all([
    ctx.client.smembers(ctx.keys.services),
    ctx.client.smembers(ctx.keys.gateways),
  ]);
  const out: Expiry[] = [];
  for (const tag of services) out.push(...(await sweepTag(ctx, tag, "c", now)));
  for (const tag of gateways) out.push(...(await sweepTag(ctx, tag, "i", now)));
  return out;
}
