import type { Redis } from "ioredis";
import { bucketOf, lookupBuckets } from "./buckets.js";
import { binOf } from "./histogram.js";
import type { ResolvedStoreOptions } from "./options.js";
import type { CallEnd, CallStart, IngressEnd, IngressStart, OutboundSample, Violation } from "./port.js";
import { callScript, execAll, groupBy, num } from "./redis-exec.js";
import type { RedisKeys } from "./redis-keys.js";

/** What the write functions need from the store. */
export interface RedisContext {
  readonly client: Redis;
  readonly keys: RedisKeys;
  readonly opts: ResolvedStoreOptions;
}

/** Milliseconds a bucket key may live: its expiry time plus one maxAge for sweep() to report it. */
function bucketTtlMs(ctx: RedisContext, b: number, now: number): number {
  const { bucketMs, maxAgeMs } = ctx.opts.plan;
  return Math.max(1_000, Math.ceil((b + 1) * bucketMs + 2 * maxAgeMs - now));
}

/** Writes call starts, one atomic script per service, pipelined. Returns the new violations. */
export async function writeCallStarts(ctx: RedisContext, batch: readonly CallStart[]): Promise<Violation[]> {
  const now = ctx.opts.clock();
  const live = lookupBuckets(now, ctx.opts.plan);
  const cur = bucketOf(now, ctx.opts.plan.bucketMs); // lookupBuckets puts it first: KEYS[1]
  const p = ctx.client.pipeline();
  const groups = groupBy(batch, (c) => c.service);
  p.sadd(ctx.keys.services, ...groups.keys());
  for (const [service, items] of groups) {
    const keys = [
      ...live.map((b) => ctx.keys.callBucket(service, b)),
      ctx.keys.callIndex(service),
      ctx.keys.stats(service),
      ctx.keys.violations(service),
    ];
    const args = [live.length, cur, bucketTtlMs(ctx, cur, now), ctx.opts.recentLimit, service];
    for (const c of items) args.push(c.txn, c.traceId ?? "", c.version, Math.floor(c.at));
    callScript(p, "tranquilCallStart", keys, args);
  }
  const replies = await execAll(p);
  const found = replies.slice(1).flatMap((r) => (r as string[]).map((json) => JSON.parse(json) as Violation));
  // Report in batch order, as the memory store does (the scripts ran per service): a violation
  // is raised by the first start of (service, txn) at its newest version.
  const position = new Map<string, number>();
  const keyOf = (service: string, txn: string, version: string): string => `${service} ${txn} ${version}`;
  batch.forEach((c, i) => {
    const k = keyOf(c.service, c.txn, c.version);
    if (!position.has(k)) position.set(k, i);
  });
  const at = (v: Violation): number => position.get(keyOf(v.service, v.txn, v.versions.at(-1) ?? "")) ?? 0;
  return found.sort((a, b) => at(a) - at(b));
}

/** Writes call ends, one atomic script per service, pipelined. Returns how many were clamped. */
export async function writeCallEnds(ctx: RedisContext, batch: readonly CallEnd[]): Promise<number> {
  const live = lookupBuckets(ctx.opts.clock(), ctx.opts.plan);
  const p = ctx.client.pipeline();
  for (const [service, items] of groupBy(batch, (c) => c.service)) {
    const args: (string | number)[] = [live.length];
    for (const c of items) args.push(c.txn, c.version, Math.floor(c.at));
    callScript(
      p,
      "tranquilCallEnd",
      live.map((b) => ctx.keys.callBucket(service, b)),
      args,
    );
  }
  return (await execAll(p)).reduce<number>((sum, r) => sum + num(r), 0);
}

/** Adds outbound samples to their stats buckets, aggregated per bucket first, one script per service. */
export async function writeOutbound(ctx: RedisContext, batch: readonly OutboundSample[]): Promise<void> {
  const now = ctx.opts.clock();
  const { statsBucketMs: width, statsRetentionMs: retention } = ctx.opts;
  const oldest = bucketOf(now - retention, width);
  // service → stats key → { bucket, field → increment }
  type Cells = Map<string, { b: number; fields: Map<string, number> }>;
  const perService = new Map<string, Cells>();
  for (const s of batch) {
    const b = bucketOf(s.at, width);
    if (b < oldest) continue; // no window can read it any more (the memory store drops it too)
    let cells = perService.get(s.service);
    if (cells === undefined) perService.set(s.service, (cells = new Map() as Cells));
    const key = ctx.keys.outbound(s.service, s.version, b);
    let cell = cells.get(key);
    if (cell === undefined) cells.set(key, (cell = { b, fields: new Map() }));
    const fields = cell.fields;
    const bump = (f: string): void => void fields.set(f, (fields.get(f) ?? 0) + 1);
    bump("n");
    if (s.ok) bump("ok");
    bump(`h${binOf(s.durationMs)}`);
  }
  if (perService.size === 0) return;
  const p = ctx.client.pipeline();
  p.sadd(ctx.keys.services, ...perService.keys());
  for (const cells of perService.values()) {
    const args: (string | number)[] = [];
    for (const { b, fields } of cells.values()) {
      args.push(Math.max(1_000, Math.ceil((b + 2) * width + retention - now)), fields.size);
      for (const [f, n] of fields) args.push(f, n);
    }
    callScript(p, "tranquilOutboundAdd", [...cells.keys()], args);
  }
  await execAll(p);
}

/** Writes ingress starts, one atomic script per gateway, pipelined. */
export async function writeIngressStarts(ctx: RedisContext, batch: readonly IngressStart[]): Promise<void> {
  const now = ctx.opts.clock();
  const live = lookupBuckets(now, ctx.opts.plan);
  const cur = bucketOf(now, ctx.opts.plan.bucketMs); // lookupBuckets puts it first: KEYS[1]
  const p = ctx.client.pipeline();
  const groups = groupBy(batch, (s) => s.gateway);
  p.sadd(ctx.keys.gateways, ...groups.keys());
  for (const [gateway, items] of groups) {
    const keys = [
      ...live.map((b) => ctx.keys.ingressBucket(gateway, b)),
      ctx.keys.ingressIndex(gateway),
      ctx.keys.stats(gateway),
    ];
    const args: (string | number)[] = [live.length, cur, bucketTtlMs(ctx, cur, now)];
    for (const s of items) {
      // One decision per upgrade; a repeated upgrade keeps the last decision, as a Map would.
      const decisions = new Map(s.enrolments.map((e) => [e.upgrade, e.enrolled]));
      const spec = [...decisions].map(([u, e]) => `${u}:${e ? 1 : 0}`).join(",");
      args.push(s.txn, s.traceId ?? "", Math.floor(s.at), spec);
    }
    callScript(p, "tranquilIngressStart", keys, args);
  }
  await execAll(p);
}

/** Writes ingress completions, one atomic script per gateway. Returns how many were clamped. */
export async function writeIngressEnds(ctx: RedisContext, batch: readonly IngressEnd[]): Promise<number> {
  const live = lookupBuckets(ctx.opts.clock(), ctx.opts.plan);
  const p = ctx.client.pipeline();
  for (const [gateway, items] of groupBy(batch, (e) => e.gateway)) {
    const keys = live.map((b) => ctx.keys.ingressBucket(gateway, b));
    callScript(p, "tranquilIngressEnd", keys, [live.length, ...items.map((e) => e.txn)]);
  }
  return (await execAll(p)).reduce<number>((sum, r) => sum + num(r), 0);
}
