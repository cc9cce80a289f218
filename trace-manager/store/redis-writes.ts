import { bucketOf, lastExpiredBucket, lookupBuckets, type BucketPlan } from "./buckets.js";
import { binOf } from "./histogram.js";
import type { ResolvedStoreOptions } from "./options.js";
import type { CallEnd, CallStart, IngressEnd, IngressStart, OutboundSample, Violation } from "./port.js";
import type { StoreClient } from "./redis-client.js";
import {
  groupBy,
  num,
  pipelineAll,
  runScript,
  scriptStep,
  type PipelineStep,
  type ScriptArg,
} from "./redis-exec.js";
import type { ScriptName } from "./redis-scripts/index.js";
import type { RedisKeys } from "./redis-keys.js";

/** What the write functions need from the store. */
export interface RedisContext {
  readonly client: StoreClient;
  readonly keys: RedisKeys;
  readonly opts: ResolvedStoreOptions;
  /**
   * When each tag (`<set key> <tag>`) was last added to its set (`services`, `gateways`): the
   * sets only list what queries and sweeps visit, so a tag is re-added every
   * {@link REGISTER_EVERY_MS} rather than with every batch.
   */
  readonly registered: Map<string, Map<string, number>>;
  readonly liveKeys: LiveKeys;
}

/**
 * The live buckets (`lookupBuckets` order) and the key lists built from them, kept until a
 * bucket boundary moves: every batch needs them, and they change once per bucket width.
 */
export class LiveKeys {
  private cur = Number.NaN;
  private expired = Number.NaN;
  private list: readonly number[] = [];
  private readonly built = new Map<string, Map<string, readonly string[]>>();

  constructor(private readonly plan: BucketPlan) {}

  /** The live buckets at `now`, current first. */
  live(now: number): readonly number[] {
    const cur = bucketOf(now, this.plan.bucketMs);
    const expired = lastExpiredBucket(now, this.plan);
    if (cur !== this.cur || expired !== this.expired) {
      this.cur = cur;
      this.expired = expired;
      this.list = lookupBuckets(now, this.plan);
      this.built.clear();
    }
    return this.list;
  }

  /** The key list of `kind` for `tag` at `now`, built from the live buckets once per boundary. */
  keys(
    now: number,
    kind: string,
    tag: string,
    build: (live: readonly number[]) => string[],
  ): readonly string[] {
    const live = this.live(now);
    let byTag = this.built.get(kind);
    if (byTag === undefined) this.built.set(kind, (byTag = new Map<string, readonly string[]>()));
    let keys = byTag.get(tag);
    if (keys === undefined) byTag.set(tag, (keys = build(live)));
    return keys;
  }
}

/** How often a writer re-adds a tag it writes under to its set (covers a Redis that lost its data). */
export const REGISTER_EVERY_MS = 10_000;

/** One script call of a batch. */
interface ScriptCall {
  readonly name: ScriptName;
  readonly keys: readonly string[];
  readonly args: readonly ScriptArg[];
}

/**
 * Runs a batch's script calls and returns their replies in order: one call alone goes straight
 * to the client; several, or a set registration, go in one pipeline (one per hash slot on a
 * Cluster). Most batches are one call (one service), and a pipeline costs a Check-sized amount of
 * allocation on its own.
 */
async function runBatch(
  ctx: RedisContext,
  register: { readonly set: string; readonly tags: Iterable<string> },
  calls: readonly ScriptCall[],
): Promise<unknown[]> {
  const now = ctx.opts.clock();
  let times = ctx.registered.get(register.set);
  if (times === undefined) ctx.registered.set(register.set, (times = new Map<string, number>()));
  const due: string[] = [];
  for (const tag of register.tags) {
    const at = times.get(tag);
    if (at === undefined || now - at >= REGISTER_EVERY_MS) due.push(tag);
  }
  try {
    const only = calls.length === 1 ? calls[0] : undefined;
    if (due.length === 0 && only !== undefined) {
      return [await runScript(ctx.client, only.name, only.keys, only.args)];
    }
    const steps: PipelineStep[] = [];
    if (due.length > 0) steps.push({ key: register.set, queue: (p) => p.sadd(register.set, ...due) });
    for (const c of calls) steps.push(scriptStep(c.name, c.keys, c.args));
    const replies = await pipelineAll(ctx.client, steps);
    for (const tag of due) times.set(tag, now);
    return due.length > 0 ? replies.slice(1) : replies;
  } catch (err) {
    // The registration may not have happened: the next batch adds the tags again.
    for (const tag of due) times.delete(tag);
    throw err;
  }
}

/** Milliseconds a bucket key may live: its expiry time plus one maxAge for sweep() to report it. */
function bucketTtlMs(ctx: RedisContext, b: number, now: number): number {
  const { bucketMs, maxAgeMs } = ctx.opts.plan;
  return Math.max(1_000, Math.ceil((b + 1) * bucketMs + 2 * maxAgeMs - now));
}

/** Writes call starts, one atomic script per service, pipelined. Returns the new violations. */
export async function writeCallStarts(ctx: RedisContext, batch: readonly CallStart[]): Promise<Violation[]> {
  const now = ctx.opts.clock();
  const live = ctx.liveKeys.live(now);
  const cur = live[0] ?? bucketOf(now, ctx.opts.plan.bucketMs); // current first: KEYS[1]
  const groups = groupBy(batch, (c) => c.service);
  const calls: ScriptCall[] = [];
  for (const [service, items] of groups) {
    const keys = ctx.liveKeys.keys(now, "callStart", service, (buckets) => [
      ...buckets.map((b) => ctx.keys.callBucket(service, b)),
      ctx.keys.callIndex(service),
      ctx.keys.stats(service),
      ctx.keys.violations(service),
    ]);
    const args: ScriptArg[] = [live.length, cur, bucketTtlMs(ctx, cur, now), ctx.opts.recentLimit, service];
    for (const c of items) args.push(c.txn, c.traceId ?? "", c.version, Math.floor(c.at));
    calls.push({ name: "tranquilCallStart", keys, args });
  }
  const replies = await runBatch(ctx, { set: ctx.keys.services, tags: groups.keys() }, calls);
  const found = replies.flatMap((r) => (r as string[]).map((json) => JSON.parse(json) as Violation));
  if (found.length < 2) return found;
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

/**
 * The arguments every end script starts with: the live bucket count, the current bucket, and what
 * it needs to place and expire a record created by an early end (ADR 0086) as `bucketTtlMs` does.
 */
function endHeader(ctx: RedisContext, now: number, live: readonly number[]): ScriptArg[] {
  const { bucketMs, maxAgeMs } = ctx.opts.plan;
  const cur = live[0] ?? bucketOf(now, bucketMs);
  return [live.length, cur, bucketMs, Math.floor(now), 2 * maxAgeMs];
}

/**
 * Writes call ends, one atomic script per service, pipelined. Returns how many found no active
 * call (clamped): those are kept as early ends, for their starts to cancel.
 */
export async function writeCallEnds(ctx: RedisContext, batch: readonly CallEnd[]): Promise<number> {
  const now = ctx.opts.clock();
  const live = ctx.liveKeys.live(now);
  const header = endHeader(ctx, now, live);
  const calls: ScriptCall[] = [];
  const groups = groupBy(batch, (c) => c.service);
  for (const [service, items] of groups) {
    const args: ScriptArg[] = [...header];
    for (const c of items) args.push(c.txn, c.version, Math.floor(c.at));
    const keys = ctx.liveKeys.keys(now, "callEnd", service, (buckets) => [
      ...buckets.map((b) => ctx.keys.callBucket(service, b)),
      ctx.keys.callIndex(service),
    ]);
    calls.push({ name: "tranquilCallEnd", keys, args });
  }
  // An early end may create a service's first record: register it, as a start would.
  const replies = await runBatch(ctx, { set: ctx.keys.services, tags: groups.keys() }, calls);
  return replies.reduce<number>((sum, r) => sum + num(r), 0);
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
  const calls: ScriptCall[] = [];
  for (const cells of perService.values()) {
    const args: ScriptArg[] = [];
    for (const { b, fields } of cells.values()) {
      args.push(Math.max(1_000, Math.ceil((b + 2) * width + retention - now)), fields.size);
      for (const [f, n] of fields) args.push(f, n);
    }
    calls.push({ name: "tranquilOutboundAdd", keys: [...cells.keys()], args });
  }
  await runBatch(ctx, { set: ctx.keys.services, tags: perService.keys() }, calls);
}

/** Writes ingress starts, one atomic script per gateway, pipelined. */
export async function writeIngressStarts(ctx: RedisContext, batch: readonly IngressStart[]): Promise<void> {
  const now = ctx.opts.clock();
  const live = ctx.liveKeys.live(now);
  const cur = live[0] ?? bucketOf(now, ctx.opts.plan.bucketMs); // current first: KEYS[1]
  const groups = groupBy(batch, (s) => s.gateway);
  const calls: ScriptCall[] = [];
  for (const [gateway, items] of groups) {
    const keys = ctx.liveKeys.keys(now, "ingressStart", gateway, (buckets) => [
      ...buckets.map((b) => ctx.keys.ingressBucket(gateway, b)),
      ctx.keys.ingressIndex(gateway),
      ctx.keys.stats(gateway),
    ]);
    const args: ScriptArg[] = [live.length, cur, bucketTtlMs(ctx, cur, now)];
    for (const s of items) {
      // One decision per upgrade; a repeated upgrade keeps the last decision, as a Map would.
      const decisions = new Map(s.enrolments.map((e) => [e.upgrade, e.enrolled]));
      const spec = [...decisions].map(([u, e]) => `${u}:${e ? 1 : 0}`).join(",");
      args.push(s.txn, s.traceId ?? "", Math.floor(s.at), spec);
    }
    calls.push({ name: "tranquilIngressStart", keys, args });
  }
  await runBatch(ctx, { set: ctx.keys.gateways, tags: groups.keys() }, calls);
}

/**
 * Writes ingress completions, one atomic script per gateway. Returns how many were unknown
 * (clamped): those are kept as early ends, for their starts to cancel.
 */
export async function writeIngressEnds(ctx: RedisContext, batch: readonly IngressEnd[]): Promise<number> {
  const now = ctx.opts.clock();
  const live = ctx.liveKeys.live(now);
  const header = endHeader(ctx, now, live);
  const calls: ScriptCall[] = [];
  const groups = groupBy(batch, (e) => e.gateway);
  for (const [gateway, items] of groups) {
    const keys = ctx.liveKeys.keys(now, "ingressEnd", gateway, (buckets) => [
      ...buckets.map((b) => ctx.keys.ingressBucket(gateway, b)),
      ctx.keys.ingressIndex(gateway),
    ]);
    const args: ScriptArg[] = [...header];
    for (const e of items) args.push(e.txn, Math.floor(e.at));
    calls.push({ name: "tranquilIngressEnd", keys, args });
  }
  const replies = await runBatch(ctx, { set: ctx.keys.gateways, tags: groups.keys() }, calls);
  return replies.reduce<number>((sum, r) => sum + num(r), 0);
}
