import calculateSlot from "cluster-key-slot";
import type { ChainableCommander } from "ioredis";
import type { StoreClient } from "./redis-client.js";
import type { ScriptName } from "./redis-scripts/index.js";

/** A script argument. */
export type ScriptArg = string | number;

/**
 * Throws unless every key lies in one Redis Cluster hash slot: a script may only touch the keys
 * of one slot on a Cluster, and the store's layout (per-tag hash tags) keeps them so everywhere.
 */
export function assertOneSlot(name: string, keys: readonly string[]): void {
  if (checkedKeyLists.has(keys)) return;
  const first = keys[0];
  if (first === undefined) return;
  const slot = calculateSlot(first);
  for (const k of keys)
    if (calculateSlot(k) !== slot)
      throw new Error(`script ${name} would touch keys of several hash slots (${first}, ${k})`);
  checkedKeyLists.add(keys);
}

/** Key lists already checked: the writers reuse theirs until a bucket boundary (`LiveKeys`). */
const checkedKeyLists = new WeakSet<readonly string[]>();

/** Queues (on a pipeline) or sends (on a client) one of the store's scripts; its keys must share a slot. */
export function callScript(
  target: StoreClient | ChainableCommander,
  name: ScriptName,
  keys: readonly string[],
  args: readonly ScriptArg[],
): unknown {
  assertOneSlot(name, keys);
  const fn = (target as unknown as Record<string, (...a: ScriptArg[]) => unknown>)[name];
  if (fn === undefined) throw new Error(`script ${name} is not defined on this redis client`);
  return fn.call(target, keys.length, ...keys, ...args);
}

/** Runs a script on a client and returns its reply. */
export async function runScript(
  client: StoreClient,
  name: ScriptName,
  keys: readonly string[],
  args: readonly ScriptArg[],
): Promise<unknown> {
  const reply: unknown = await callScript(client, name, keys, args);
  return reply;
}

/** Executes a pipeline, failing on the first command that failed; returns the replies in order. */
export async function execAll(pipeline: ChainableCommander): Promise<unknown[]> {
  const results = await pipeline.exec();
  if (results === null) throw new Error("the pipeline was discarded");
  return results.map(([err, value]) => {
    if (err !== null) throw err;
    return value;
  });
}

/** One command of a pipeline: the key that places it (its slot) and how to queue it. */
export interface PipelineStep {
  /** A key the command touches; every key it touches shares this key's slot. */
  readonly key: string;
  /** Queues the command on a pipeline. */
  readonly queue: (p: ChainableCommander) => unknown;
}

/** A pipeline step that runs one of the store's scripts. */
export function scriptStep(
  name: ScriptName,
  keys: readonly string[],
  args: readonly ScriptArg[],
): PipelineStep {
  return { key: keys[0] ?? "", queue: (p) => callScript(p, name, keys, args) };
}

/**
 * Pipelines `steps` and returns their replies in order, failing on the first step (in order)
 * that failed, or with the pipeline's own error. One Redis takes them in one pipeline. A Cluster
 * refuses a pipeline whose keys belong to several slots, so there they are split by hash slot
 * (ADR 0092): one pipeline per slot, all sent at once; the steps of a slot keep their order, and
 * steps of different slots were never ordered by Redis anyway (they run on different shards).
 */
export async function pipelineAll(client: StoreClient, steps: readonly PipelineStep[]): Promise<unknown[]> {
  if (steps.length === 0) return [];
  if (!client.isCluster) {
    const p = client.pipeline();
    for (const s of steps) s.queue(p);
    return execAll(p);
  }
  const bySlot = new Map<number, number[]>();
  steps.forEach((s, i) => {
    const slot = calculateSlot(s.key);
    const list = bySlot.get(slot);
    if (list === undefined) bySlot.set(slot, [i]);
    else list.push(i);
  });
  const groups = [...bySlot.values()];
  const settled = await Promise.all(
    groups.map(async (indexes) => {
      const p = client.pipeline();
      for (const i of indexes) steps[i]?.queue(p);
      const results = await p.exec();
      if (results === null) throw new Error("the pipeline was discarded");
      return results;
    }),
  );
  const out = new Array<[Error | null, unknown]>(steps.length);
  groups.forEach((indexes, g) => {
    indexes.forEach((i, j) => {
      out[i] = settled[g]?.[j] ?? [new Error("the pipeline lost a reply"), null];
    });
  });
  return out.map(([err, value]) => {
    if (err !== null) throw err;
    return value;
  });
}

/** Groups items by a key, keeping first-seen order. */
export function groupBy<T>(items: readonly T[], keyOf: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of items) {
    const k = keyOf(x);
    const list = out.get(k);
    if (list === undefined) out.set(k, [x]);
    else list.push(x);
  }
  return out;
}

/** Reads a Redis integer reply. */
export function num(x: unknown): number {
  const n = typeof x === "number" ? x : Number(x);
  if (!Number.isFinite(n)) throw new Error(`expected a number from redis, got ${JSON.stringify(x)}`);
  return n;
}
