/**
 * Per-hop latency of a gRPC unary call on the local mesh, side by side in one run:
 * direct (client → app), through the sidecars without hooks (client → caller's outbound →
 * callee's inbound → app), and with TraceManager hooks (ext_authz Check + ALS) on the in-memory
 * store and on Redis. Bounded: a fixed number of calls per case (< 1 min in all).
 * Run alone: `npx tsx bench/mesh.bench.ts`.
 */
import { Metadata } from "@grpc/grpc-js";
import { fileURLToPath } from "node:url";
import { loadEnvoyProtos } from "../trace-manager/proto/load.js";
import { MemoryTraceStore } from "../trace-manager/store/memory.js";
import type { TraceStore } from "../trace-manager/store/port.js";
import { RedisTraceStore } from "../trace-manager/store/redis.js";
import { startTestRedis } from "../test/support/redis-server.js";
import {
  socketDir,
  startTestTraceManager,
} from "../istio/local-mesh/proxies/testing/trace-manager-fixture.js";
import { TestMesh } from "../istio/local-mesh/proxies/testing/mesh-fixture.js";
import type { TraceManagerHooks } from "../istio/local-mesh/proxies/sidecar.js";
import {
  echoClient,
  startEchoGrpc,
  type EchoClient,
} from "../istio/local-mesh/runtime/echo-app/echo-services.js";

/** One measured figure. */
export interface BenchRow {
  readonly name: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
}

const WARMUP = 50;
const CALLS = 400;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function measure(client: EchoClient, name: string): Promise<BenchRow[]> {
  const once = (i: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const md = new Metadata();
      md.set("x-request-id", `${String(i).padStart(8, "0")}-0000-4000-8000-000000000000`);
      const t0 = process.hrtime.bigint();
      client.Say({ text: "bench" }, md, (err) =>
        err !== null ? reject(err) : resolve(Number(process.hrtime.bigint() - t0) / 1e6),
      );
    });
  for (let i = 0; i < WARMUP; i++) await once(i);
  const samples: number[] = [];
  for (let i = 0; i < CALLS; i++) samples.push(await once(WARMUP + i));
  samples.sort((a, b) => a - b);
  return [
    { name, metric: "p50", value: percentile(samples, 50), unit: "ms" },
    { name, metric: "p99", value: percentile(samples, 99), unit: "ms" },
  ];
}

/** A caller sidecar and a callee (echo app + sidecar), optionally with a TraceManager each. */
async function throughSidecars(name: string, store: TraceStore | undefined): Promise<BenchRow[]> {
  const dir = await socketDir();
  const tms: { stop(): Promise<void> }[] = [];
  let n = 0;
  let next: TraceManagerHooks | undefined;
  const hooksFor = async (service: string): Promise<TraceManagerHooks | undefined> => {
    if (store === undefined) return undefined;
    const tm = await startTestTraceManager(dir.path, store, {
      role: "sidecar",
      service,
      version: "v1",
      pod: `${service}-${n++}`,
    });
    tms.push(tm);
    return { socketPath: tm.socketPath, protos: loadEnvoyProtos() };
  };
  const mesh = new TestMesh(() => next);
  try {
    next = await hooksFor("caller");
    const caller = await mesh.start("caller", "v1");
    next = await hooksFor("item");
    await mesh.start("item", "v1");
    mesh.routing.routes.set("item", { port: 50051, subset: "v1", labels: { version: "v1" } });
    for (const i of mesh.instances) await i.sidecar.warmUp(2_000);
    const client = echoClient(`127.0.0.1:${caller.sidecar.outboundPort}`, "item");
    try {
      const rows = await measure(client, name);
      const failOpen = mesh.instances.reduce(
        (s, i) => s + i.sidecar.core.stats.get("http.inbound_0.0.0.0_50051.ext_authz.failure_mode_allowed"),
        0,
      );
      return store === undefined
        ? rows
        : [...rows, { name, metric: "checks failed open", value: failOpen, unit: "count" }];
    } finally {
      client.close();
    }
  } finally {
    await mesh.close();
    for (const tm of tms) await tm.stop();
    await dir.remove();
  }
}

/** The mesh benchmark rows (see the module comment). */
export async function benchMesh(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const app = await startEchoGrpc({ name: "item", version: "v1" });
  const direct = echoClient(app.address);
  rows.push(...(await measure(direct, "grpc unary: direct")));
  direct.close();
  await app.close();
  rows.push(...(await throughSidecars("grpc unary: via sidecars, no hooks", undefined)));
  const memory = new MemoryTraceStore();
  rows.push(...(await throughSidecars("grpc unary: via sidecars, TraceManager (memory)", memory)));
  await memory.close();
  const redis = await startTestRedis();
  const redisStore = new RedisTraceStore({ redis: redis.url });
  try {
    rows.push(...(await throughSidecars("grpc unary: via sidecars, TraceManager (redis)", redisStore)));
  } finally {
    await redisStore.close();
    await redis.stop();
  }
  return rows;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = await benchMesh();
  for (const r of rows)
    process.stdout.write(
      `${r.name.padEnd(50)} ${r.metric.padEnd(20)} ${r.value.toFixed(3).padStart(10)} ${r.unit}\n`,
    );
  process.exit(0);
}
