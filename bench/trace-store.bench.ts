/**
 * Trace store benchmark: ALS-like ingestion (call ends + outbound samples) into Redis and into
 * the memory store, and Redis bytes per active transaction. Runs a private redis-server.
 * Alone: `npx tsx bench/trace-store.bench.ts`; the bench runner imports `benchTraceStore`.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import { startTestRedis } from "../test/support/redis-server.js";
import { MemoryTraceStore } from "../trace-manager/store/memory.js";
import type {
  CallEnd,
  CallStart,
  OutboundSample,
  TraceId,
  TraceStore,
  TxnId,
} from "../trace-manager/store/port.js";
import { RedisTraceStore } from "../trace-manager/store/redis.js";

/** One measured figure. */
export interface BenchRow {
  readonly name: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
}

/** Sizes of one run; the defaults take a few seconds on a 2-core machine. */
export interface TraceStoreBenchOptions {
  /** Transactions ingested (each: one call start, one call end, one outbound sample). */
  readonly transactions?: number;
  /** ALS entries per batch (half call ends, half outbound samples). */
  readonly batch?: number;
  /** Concurrent writers, like ALS streams from several pods. */
  readonly writers?: number;
  /** Active transactions held for the memory measurement. */
  readonly activeForMemory?: number;
}

const SERVICES = ["auth-service", "order-service", "item-service", "station-service"] as const;

interface Workload {
  readonly starts: CallStart[];
  readonly ends: CallEnd[];
  readonly outbound: OutboundSample[];
}

function workload(n: number, now: number): Workload {
  const starts: CallStart[] = [];
  const ends: CallEnd[] = [];
  const outbound: OutboundSample[] = [];
  for (let i = 0; i < n; i++) {
    const service = SERVICES[i % SERVICES.length] ?? "auth-service";
    const txn = randomUUID() as TxnId;
    const pod = `${service}-v1-0`;
    starts.push({
      txn,
      traceId: randomBytes(16).toString("hex") as TraceId,
      service,
      version: "v1",
      pod,
      at: now,
    });
    ends.push({ txn, service, version: "v1", pod, at: now + 3, status: 200, durationMs: 3 });
    outbound.push({ service, version: "v1", at: now + 3, ok: i % 100 !== 0, durationMs: 1 + (i % 50) });
  }
  return { starts, ends, outbound };
}

/** Runs `task(i)` for i in 0..count-1 with `writers` in flight. */
async function parallel(
  count: number,
  writers: number,
  task: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: writers }, worker));
}

/** Ingests the workload; returns [starts/s, ALS entries/s]. */
async function ingest(
  store: TraceStore,
  w: Workload,
  batch: number,
  writers: number,
): Promise<[number, number]> {
  const half = Math.max(1, Math.floor(batch / 2));
  const chunks = Math.ceil(w.starts.length / half);
  let t0 = performance.now();
  await parallel(chunks, writers, (i) => store.recordCallStarts(w.starts.slice(i * half, (i + 1) * half)));
  const startsPerSec = w.starts.length / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  await parallel(chunks, writers, (i) =>
    Promise.all([
      store.recordCallEnds(w.ends.slice(i * half, (i + 1) * half)),
      store.recordOutbound(w.outbound.slice(i * half, (i + 1) * half)),
    ]),
  );
  const entriesPerSec = (w.ends.length + w.outbound.length) / ((performance.now() - t0) / 1000);
  return [startsPerSec, entriesPerSec];
}

/** The sum of MEMORY USAGE over the keys of a prefix. */
async function usageOf(store: RedisTraceStore, pattern: string): Promise<number> {
  let usage = 0;
  for (const k of await store.client.keys(pattern))
    usage += Number(await store.client.memory("USAGE", k, "SAMPLES", "0"));
  return usage;
}

/**
 * Redis memory per active transaction (INFO used_memory delta, MEMORY USAGE of the keys), then per
 * finished one, which stays until its bucket expires so a later entry into another version is caught.
 */
async function bytesPerTransaction(store: RedisTraceStore, n: number, now: number): Promise<number[]> {
  const used = async (): Promise<number> =>
    Number(/used_memory:(\d+)/.exec(await store.client.info("memory"))?.[1]);
  const before = await used();
  const w = workload(n, now);
  for (let i = 0; i < n; i += 1_000) await store.recordCallStarts(w.starts.slice(i, i + 1_000));
  const active = [(await used()) - before, await usageOf(store, "mem:*")];
  for (let i = 0; i < n; i += 1_000) await store.recordCallEnds(w.ends.slice(i, i + 1_000));
  const finished = [(await used()) - before, await usageOf(store, "mem:*")];
  return [...active, ...finished].map((bytes) => bytes / n);
}

/** Runs the trace store benchmark and returns its rows. */
export async function benchTraceStore(options: TraceStoreBenchOptions = {}): Promise<BenchRow[]> {
  const n = options.transactions ?? 40_000;
  const batch = options.batch ?? 200;
  const writers = options.writers ?? 8;
  const rows: BenchRow[] = [];
  const redis = await startTestRedis();
  try {
    const now = Date.now();
    const store = new RedisTraceStore({ redis: redis.url, keyPrefix: "bench", clock: () => now });
    await store.ping();
    const [starts, entries] = await ingest(store, workload(n, now), batch, writers);
    rows.push({
      name: "trace store (redis)",
      metric: "call starts ingested",
      value: starts,
      unit: "records/s",
    });
    rows.push({
      name: "trace store (redis)",
      metric: "ALS entries ingested (ends + outbound)",
      value: entries,
      unit: "entries/s",
    });
    await store.close();

    const mem = new RedisTraceStore({ redis: redis.url, keyPrefix: "mem", clock: () => now });
    await mem.ping();
    const [info, usage, infoDone, usageDone] = await bytesPerTransaction(
      mem,
      options.activeForMemory ?? 20_000,
      now,
    );
    const name = "trace store (redis)";
    rows.push({
      name,
      metric: "memory per active transaction (INFO used_memory)",
      value: info ?? NaN,
      unit: "B",
    });
    rows.push({
      name,
      metric: "memory per active transaction (MEMORY USAGE)",
      value: usage ?? NaN,
      unit: "B",
    });
    rows.push({
      name,
      metric: "memory per finished, remembered transaction (INFO)",
      value: infoDone ?? NaN,
      unit: "B",
    });
    rows.push({
      name,
      metric: "memory per finished, remembered transaction (MEMORY USAGE)",
      value: usageDone ?? NaN,
      unit: "B",
    });
    await mem.close();
  } finally {
    await redis.stop();
  }
  const now = Date.now();
  const memory = new MemoryTraceStore({ clock: () => now });
  const [mStarts, mEntries] = await ingest(memory, workload(n, now), batch, writers);
  rows.push({
    name: "trace store (memory)",
    metric: "call starts ingested",
    value: mStarts,
    unit: "records/s",
  });
  rows.push({
    name: "trace store (memory)",
    metric: "ALS entries ingested (ends + outbound)",
    value: mEntries,
    unit: "entries/s",
  });
  await memory.close();
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await benchTraceStore();
  console.table(rows.map((r) => ({ ...r, value: Math.round(r.value) })));
}
