import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { StoreIntegrity } from "./port.js";
import type { RedisKeys } from "./redis-keys.js";

/** A new generation value: when it was made and a random part, so two are never equal. */
export function newGeneration(now: number): string {
  return `${now}-${randomUUID()}`;
}

/**
 * Reads the fields of Redis's `INFO` reply (`key:value` lines; `#` lines are section titles).
 * Unknown or malformed lines are ignored.
 */
export function parseInfo(reply: string): ReadonlyMap<string, string> {
  const fields = new Map<string, string>();
  for (const line of reply.split(/\r?\n/)) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.indexOf(":");
    if (at > 0) fields.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return fields;
}

function intField(info: ReadonlyMap<string, string>, name: string): number | null {
  const raw = info.get(name);
  if (raw === undefined || !/^\d+$/.test(raw)) return null;
  return Number(raw);
}

/**
 * The integrity facts of a Redis store (ADR 0085). The generation is read and, when missing,
 * written with `SET … NX GET` (Redis 7), so concurrent first readers agree on one value; it
 * has no expiry, so only a loss of the data set (or an eviction of the key itself) changes it.
 * `run_id`, `maxmemory`, `maxmemory_policy` and `evicted_keys` come from one `INFO`.
 */
export async function readRedisIntegrity(
  client: Redis,
  keys: RedisKeys,
  now: number,
): Promise<StoreIntegrity> {
  const [existing, info] = await Promise.all([
    client.get(keys.generation),
    client.call("INFO", "server", "memory", "stats") as Promise<string>,
  ]);
  // A plain GET first: Redis refuses every SET while it is out of memory, even one that writes nothing.
  let generation = existing;
  if (generation === null) {
    const candidate = newGeneration(now);
    generation = (await client.set(keys.generation, candidate, "NX", "GET")) ?? candidate;
  }
  const fields = parseInfo(info);
  const maxMemoryBytes = intField(fields, "maxmemory");
  return {
    generation,
    serverId: fields.get("run_id") ?? null,
    evictionPolicy: fields.get("maxmemory_policy") ?? null,
    maxMemoryBytes,
    evictedKeys: intField(fields, "evicted_keys"),
  };
}
