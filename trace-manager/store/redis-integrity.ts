import { randomUUID } from "node:crypto";
import type { Cluster, Redis } from "ioredis";
import type { StoreIntegrity } from "./port.js";
import type { StoreClient } from "./redis-client.js";
import { pipelineAll } from "./redis-exec.js";
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
  client: StoreClient,
  keys: RedisKeys,
  now: number,
): Promise<StoreIntegrity> {
  if (client.isCluster) return readClusterIntegrity(client as Cluster, keys, now);
  return readServerIntegrity(client as Redis, keys, now);
}

async function readServerIntegrity(client: Redis, keys: RedisKeys, now: number): Promise<StoreIntegrity> {
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

/** Reads each key's value, creating the missing ones with a new generation (`SET … NX GET`). */
async function readGenerations(client: Cluster, genKeys: readonly string[], now: number): Promise<string[]> {
  const existing = (await pipelineAll(
    client,
    genKeys.map((key) => ({ key, queue: (p) => p.get(key) })),
  )) as (string | null)[];
  const missing = genKeys.filter((_, i) => existing[i] === null);
  const candidates = missing.map(() => newGeneration(now));
  const created = (await pipelineAll(
    client,
    missing.map((key, i) => ({
      key,
      queue: (p) => p.set(key, candidates[i] ?? "", "NX", "GET"),
    })),
  )) as (string | null)[];
  let m = 0;
  return existing.map((v) => {
    if (v !== null) return v;
    const i = m++;
    return created[i] ?? candidates[i] ?? "";
  });
}

/**
 * The integrity facts of a Redis Cluster (ADR 0092). Besides the store's generation, every
 * service and gateway the store lists gets its own generation key in the slot of its records
 * (`<p>:{tag}:gen`), read and created as the store's is: a shard that restarts empty, or fails
 * over to a replica that never got the key, shows a new one. `INFO` is read from every master
 * the client knows: `serverId` is their sorted `run_id`s (a failover or a restart of any changes
 * it), `evictedKeys` their sum, and the eviction facts those of the first master that may evict
 * (else of the first master). A master that does not answer fails the reading.
 */
async function readClusterIntegrity(client: Cluster, keys: RedisKeys, now: number): Promise<StoreIntegrity> {
  const masters = client.nodes("master");
  if (masters.length === 0) throw new Error("the cluster client knows no master");
  const [services, gateways, infos] = await Promise.all([
    client.smembers(keys.services),
    client.smembers(keys.gateways),
    Promise.all(masters.map((m) => m.call("INFO", "server", "memory", "stats") as Promise<string>)),
  ]);
  const tags = [...new Set([...services, ...gateways])].sort();
  const [generation = "", ...perTag] = await readGenerations(
    client,
    [keys.generation, ...tags.map((t) => keys.tagGeneration(t))],
    now,
  );
  const shards = infos
    .map(parseInfo)
    .map((f) => ({
      runId: f.get("run_id") ?? "?",
      policy: f.get("maxmemory_policy") ?? null,
      maxMemory: intField(f, "maxmemory"),
      evicted: intField(f, "evicted_keys"),
    }))
    .sort((a, b) => (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
  const evicting =
    shards.find((s) => s.policy !== null && s.policy !== "noeviction" && (s.maxMemory ?? 1) > 0) ?? shards[0];
  const evictedKeys = shards.some((s) => s.evicted === null)
    ? null
    : shards.reduce((sum, s) => sum + (s.evicted ?? 0), 0);
  return {
    generation,
    serverId: shards.map((s) => s.runId).join(","),
    evictionPolicy: evicting?.policy ?? null,
    maxMemoryBytes: evicting?.maxMemory ?? null,
    evictedKeys,
    tagGenerations: Object.fromEntries(tags.map((t, i) => [t, perTag[i] ?? ""])),
  };
}
