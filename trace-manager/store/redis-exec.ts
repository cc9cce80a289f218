import type { ChainableCommander, Redis } from "ioredis";
import type { ScriptName } from "./redis-scripts/index.js";

/** A script argument. */
export type ScriptArg = string | number;

/** Queues (on a pipeline) or sends (on a client) one of the store's scripts. */
export function callScript(
  target: Redis | ChainableCommander,
  name: ScriptName,
  keys: readonly string[],
  args: readonly ScriptArg[],
): unknown {
  const fn = (target as unknown as Record<string, (...a: ScriptArg[]) => unknown>)[name];
  if (fn === undefined) throw new Error(`script ${name} is not defined on this redis client`);
  return fn.call(target, keys.length, ...keys, ...args);
}

/** Runs a script on a client and returns its reply. */
export async function runScript(
  client: Redis,
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
