/**
 * TraceManager benchmark, over the real Unix socket, side by side: a no-op gRPC Check server (the
 * floor), the TraceManager with the memory store, and with Redis; Check latency and throughput at
 * concurrency 1, 16 and 64; ALS entries/s ingested into Redis; the TraceManager's resident memory
 * idle, at a busy pod's steady rate (200 Checks/s) and at saturation. Servers run as child
 * processes (so their RSS is their own), from the bundle a pod runs (trace-manager/bundle.ts; the
 * floor packed the same way; not through tsx, whose loader alone costs ~38 MB),
 * with the Node flags and environment a sidecar should use (trace-manager/node-flags.ts; override the
 * flags with `TM_BENCH_NODE_FLAGS`).
 * The load generator is this process: it encodes one request with Envoy's full protos and sends
 * it with a fresh x-request-id per call.
 * Alone: `npx tsx bench/trace-manager.bench.ts`; the bench runner imports `benchTraceManager`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Client, credentials, type ClientWritableStream } from "@grpc/grpc-js";
import { freePort, startTestRedis } from "../test/support/redis-server.js";
import { loadFullEnvoyProtos } from "../trace-manager/testing/full-envoy-protos.js";
import { alsEntry, alsMessage, checkRequest } from "../trace-manager/testing/envoy-messages.js";
import { SIDECAR_NODE_ENV, SIDECAR_NODE_FLAGS } from "../trace-manager/node-flags.js";
import { bundleSidecar, SIDECAR_ENTRIES } from "../trace-manager/bundle.js";
import { ENVOY_METHOD_PATHS } from "../trace-manager/proto/load.js";

/** One measured figure (the shape every bench module returns). */
export interface BenchRow {
  readonly name: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
}

/** Sizes of one run; the defaults keep the whole benchmark around a minute on 2 cores. */
export interface TraceManagerBenchOptions {
  readonly concurrencies?: readonly number[];
  /** Measured seconds per (target, concurrency), after a short warm-up. */
  readonly seconds?: number;
  /** Rounds the seconds are split into, interleaving the targets. */
  readonly rounds?: number;
  /** ALS entries sent in the ingestion run. */
  readonly alsEntries?: number;
  readonly alsBatch?: number;
  readonly alsStreams?: number;
  /** Entries sent but not yet written, at most (the TraceManager's buffer holds 10 000 per kind). */
  readonly alsMaxAhead?: number;
  /** Checks/s each target gets in the steady phase (a busy pod's sidecar), and for how long. */
  readonly steadyRate?: number;
  readonly steadySeconds?: number;
}

/** How long the servers sit idle before "RSS idle" is read: past V8's memory reducer (~8 s). */
const IDLE_SETTLE_MS = 11_000;

function nodeFlags(): string[] {
  const raw = process.env["TM_BENCH_NODE_FLAGS"];
  return raw === undefined ? [...SIDECAR_NODE_FLAGS] : raw.split(/\s+/).filter((f) => f !== "");
}

interface Target {
  readonly label: string;
  readonly child: ChildProcess;
  readonly socket: string;
  readonly adminPort: number | null;
}

function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const onData = (d: Buffer): void => {
      seen += d.toString();
      if (pattern.test(seen)) {
        child.stdout?.off("data", onData);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) =>
      reject(new Error(`${what} exited with ${code} before it was ready: ${seen.slice(-500)}`)),
    );
  });
}

async function startFloor(dir: string, out: string): Promise<Target> {
  const socket = join(dir, "floor.sock");
  const child = spawn(process.execPath, [...nodeFlags(), "trace-manager/noop-check-server.js", socket], {
    cwd: out,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...SIDECAR_NODE_ENV },
  });
  await waitForLine(child, /ready/, "the no-op Check server");
  return { label: "floor (no-op)", child, socket, adminPort: null };
}

async function startTm(dir: string, out: string, label: string, store: string): Promise<Target> {
  const socket = join(dir, `${label}.sock`);
  const adminPort = await freePort();
  const child = spawn(process.execPath, [...nodeFlags(), "trace-manager/main.js"], {
    cwd: out,
    stdio: ["ignore", "pipe", "inherit"],
    env: {
      ...process.env,
      ...SIDECAR_NODE_ENV,
      TM_ROLE: "sidecar",
      TM_SERVICE: "reviews",
      TM_VERSION: "v1",
      POD_NAME: "reviews-v1-bench",
      TM_SOCKET: socket,
      TM_STORE: store,
      TM_ADMIN_HOST: "127.0.0.1",
      TM_ADMIN_PORT: String(adminPort),
      TM_LOG_LEVEL: "warn",
    },
  });
  const until = Date.now() + 30_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${adminPort}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > until || child.exitCode !== null)
      throw new Error(`TraceManager (${label}) did not become ready`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { label: `TM ${label}`, child, socket, adminPort };
}

async function stop(t: Target): Promise<void> {
  const exited = new Promise((r) => t.child.once("exit", r));
  t.child.kill("SIGTERM");
  await exited;
}

/** Resident set size of a process, from /proc (Linux), in MB: total, and its anonymous part. */
async function rssMb(pid: number | undefined, field: "VmRSS" | "RssAnon" = "VmRSS"): Promise<number> {
  if (pid === undefined) return Number.NaN;
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? "NaN");
  return kb / 1024;
}

/** Samples the peak RSS of a process until stopped; with the anonymous part at that peak. */
function rssPeak(pid: number | undefined): { stop: () => { rss: number; anon: number } } {
  let peak = { rss: 0, anon: 0 };
  const timer = setInterval(() => {
    void Promise.all([rssMb(pid), rssMb(pid, "RssAnon")]).then(
      ([rss, anon]) => {
        if (rss > peak.rss) peak = { rss, anon };
      },
      () => undefined,
    );
  }, 100);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

/** The rows of one peak: total, and the anonymous part (the rest is file-backed, mostly Node's binary). */
function peakRows(label: string, during: string, peak: { rss: number; anon: number }): BenchRow[] {
  return [
    { name: label, metric: `RSS peak during ${during}`, value: peak.rss, unit: "MB" },
    { name: label, metric: `RSS peak during ${during}, anonymous part`, value: peak.anon, unit: "MB" },
  ];
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Callers of one target at one concurrency, kept across rounds. */
interface CheckRun {
  /** Latencies (ms), one list per round. */
  readonly rounds: number[][];
  elapsedMs: number;
  round(ms: number): Promise<void>;
  close(): void;
}

/**
 * Envoy-encoded CheckRequests, each with a fresh x-request-id: one request encoded with Envoy's full
 * protos, its id bytes overwritten per call (a UUID has a fixed length, so no length prefix moves).
 * Encoding once keeps the generator's own cost, which shares the 2 cores, out of the figures.
 */
function checkRequestBytes(): () => Buffer {
  const placeholder = "00000000-0000-4000-8000-000000000000";
  const template = loadFullEnvoyProtos().check.requestSerialize(
    checkRequest({ requestId: placeholder, traceId: "635187cb20d92f62377ba0cdc2334270" }),
  );
  const at = template.indexOf(placeholder, 0, "latin1");
  if (at < 0 || template.indexOf(placeholder, at + 1, "latin1") >= 0)
    throw new Error("the encoded CheckRequest template must hold its x-request-id exactly once");
  return () => {
    const bytes = Buffer.allocUnsafe(template.length);
    template.copy(bytes);
    bytes.write(crypto.randomUUID(), at, "latin1");
    return bytes;
  };
}

const passThrough = (b: Buffer): Buffer => b;

/** Sends one encoded CheckRequest and waits for the answer (not decoded). */
function sendCheck(c: Client, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    c.makeUnaryRequest(ENVOY_METHOD_PATHS.check, passThrough, passThrough, bytes, (err) =>
      err ? reject(err) : resolve(),
    );
  });
}

/**
 * Open-loop load: `rate` Checks/s to every target at once for `seconds`, sent in 10 ms ticks,
 * whatever the answers' latency: what the sidecar of a busy pod sees, rather than saturation.
 */
async function steadyLoad(targets: readonly Target[], rate: number, seconds: number): Promise<void> {
  const senders = targets.map((t) => ({
    client: new Client(`unix:${t.socket}`, credentials.createInsecure()),
    next: checkRequestBytes(),
  }));
  const answers: Promise<void>[] = [];
  const start = performance.now();
  let sent = 0;
  while (performance.now() - start < seconds * 1000) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    for (; sent < due; sent++) for (const s of senders) answers.push(sendCheck(s.client, s.next()));
    await new Promise((r) => setTimeout(r, 10));
  }
  await Promise.all(answers);
  for (const s of senders) s.client.close();
}

/** Closed-loop load: `concurrency` callers each send a Check as soon as the previous answered. */
async function checkRun(socket: string, concurrency: number): Promise<CheckRun> {
  const next = checkRequestBytes();
  // One channel per 16 callers, as Envoy spreads its workers' streams over connections.
  const clients = Array.from(
    { length: Math.max(1, Math.ceil(concurrency / 16)) },
    () => new Client(`unix:${socket}`, credentials.createInsecure()),
  );
  const call = (c: Client): Promise<void> => sendCheck(c, next());
  // Warm-up: connections, JIT, the store's first scripts.
  await Promise.all(
    clients.map(async (c) => {
      for (let i = 0; i < 50; i++) await call(c);
    }),
  );
  const run: CheckRun = {
    rounds: [],
    elapsedMs: 0,
    round: async (ms) => {
      const latencies: number[] = [];
      run.rounds.push(latencies);
      const start = performance.now();
      const end = start + ms;
      await Promise.all(
        Array.from({ length: concurrency }, async (_, i) => {
          const c = clients[i % clients.length]!;
          while (performance.now() < end) {
            const t0 = performance.now();
            await call(c);
            latencies.push(performance.now() - t0);
          }
        }),
      );
      run.elapsedMs += performance.now() - start;
    },
    close: () => {
      for (const c of clients) c.close();
    },
  };
  return run;
}

/** One target's figures at one concurrency: over all rounds, and the p99 of each round. */
interface CheckFigures {
  readonly p50: number;
  readonly p99: number;
  readonly perSec: number;
  readonly roundP99: readonly number[];
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

/**
 * Measures every target at one concurrency in interleaved rounds (floor, memory, redis, floor, …),
 * so that the other load on a shared machine falls on all of them alike.
 */
async function checkLoads(
  targets: readonly Target[],
  concurrency: number,
  seconds: number,
  rounds: number,
): Promise<Map<Target, CheckFigures>> {
  const runs = new Map<Target, CheckRun>();
  for (const t of targets) runs.set(t, await checkRun(t.socket, concurrency));
  for (let r = 0; r < rounds; r++)
    for (const t of targets) await runs.get(t)!.round((seconds * 1000) / rounds);
  const out = new Map<Target, CheckFigures>();
  for (const [t, run] of runs) {
    run.close();
    const sorted = Float64Array.from(run.rounds.flat()).sort();
    out.set(t, {
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      perSec: sorted.length / (run.elapsedMs / 1000),
      roundP99: run.rounds.map((l) => percentile(Float64Array.from(l).sort(), 99)),
    });
  }
  return out;
}

async function writtenRecords(adminPort: number): Promise<number> {
  const body = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  let n = 0;
  for (const m of body.matchAll(/^tranquil_tm_records_written_total\{kind="(?:call_end|outbound)"\} (\d+)/gm))
    n += Number(m[1]);
  return n;
}

/**
 * Streams `total` ALS entries (half inbound call ends, half outbound samples) and times their
 * arrival in the store: the sustained rate. The sender keeps at most `maxAhead` entries not yet
 * written (read from the TraceManager's metrics), as a steady stream of Envoy flushes would,
 * rather than one burst that only measures how much the buffer holds.
 */
async function alsLoad(
  t: Target,
  total: number,
  batch: number,
  streams: number,
  maxAhead: number,
): Promise<number> {
  const full = loadFullEnvoyProtos();
  const client = new full.AccessLogService(
    `unix:${t.socket}`,
    credentials.createInsecure(),
  ) as unknown as Client & {
    StreamAccessLogs(cb: (err: Error | null) => void): ClientWritableStream<unknown>;
  };
  const before = await writtenRecords(t.adminPort!);
  const batches = Math.ceil(total / batch);
  // Envoy-encoded messages are prepared up front so the generator's own cost stays out of the figure.
  const messages = Array.from({ length: Math.min(batches, 50) }, (_, b) =>
    alsMessage(
      Array.from({ length: batch }, (_, i) =>
        (b * batch + i) % 2 === 0
          ? alsEntry({
              cluster: "inbound|8080||",
              requestId: crypto.randomUUID(),
              code: 200,
              grpcStatus: "0",
            })
          : alsEntry({
              cluster: "outbound|80|v1|ratings.default.svc.cluster.local",
              requestId: crypto.randomUUID(),
              code: 200,
            }),
      ),
    ),
  );
  let sent = 0;
  let written = 0;
  let polling: Promise<void> | null = null;
  const caughtUp = async (): Promise<void> => {
    while (sent - written > maxAhead) {
      polling ??= writtenRecords(t.adminPort!).then((n) => {
        written = n - before;
        polling = null;
      });
      await polling;
      if (sent - written > maxAhead) await new Promise((r) => setTimeout(r, 5));
    }
  };
  const start = performance.now();
  await Promise.all(
    Array.from({ length: streams }, async (_, s) => {
      let done!: Promise<void>;
      const stream = await new Promise<ClientWritableStream<unknown>>((resolve) => {
        let st!: ClientWritableStream<unknown>;
        done = new Promise<void>((res, rej) => {
          st = client.StreamAccessLogs((err) => (err ? rej(err) : res()));
        });
        resolve(st);
      });
      for (let b = s; b < batches; b += streams) {
        await caughtUp();
        sent += batch;
        if (!stream.write(messages[b % messages.length])) await new Promise((r) => stream.once("drain", r));
      }
      stream.end();
      await done;
    }),
  );
  const expected = before + batches * batch;
  const until = Date.now() + 60_000;
  while ((await writtenRecords(t.adminPort!)) < expected) {
    if (Date.now() > until) throw new Error("ALS entries did not all reach the store within 60 s");
    await new Promise((r) => setTimeout(r, 20));
  }
  const seconds = (performance.now() - start) / 1000;
  client.close();
  return (batches * batch) / seconds;
}

/** Runs the TraceManager benchmark and returns its rows. */
export async function benchTraceManager(options: TraceManagerBenchOptions = {}): Promise<BenchRow[]> {
  const concurrencies = options.concurrencies ?? [1, 16, 64];
  const seconds = options.seconds ?? 4;
  const rows: BenchRow[] = [];
  const dir = await mkdtemp(join(tmpdir(), "tm-bench-"));
  const out = join(dir, "build");
  await bundleSidecar(out, [SIDECAR_ENTRIES.traceManager, SIDECAR_ENTRIES.noopCheckServer]);
  const redis = await startTestRedis();
  const targets: Target[] = [];
  try {
    targets.push(await startFloor(dir, out));
    targets.push(await startTm(dir, out, "memory", "memory"));
    targets.push(await startTm(dir, out, "redis", redis.url));
    const tmRedis = targets[2]!;
    // Two idle figures for every server, the floor included: just after start (startup garbage
    // still in the heap), and once V8's memory reducer has run its idle GC (about 8 s after the
    // last allocations), which is where an idle sidecar sits.
    await new Promise((r) => setTimeout(r, 1000));
    const started = await Promise.all(targets.map((t) => rssMb(t.child.pid)));
    await new Promise((r) => setTimeout(r, IDLE_SETTLE_MS));
    for (const [i, t] of targets.entries()) {
      rows.push({ name: t.label, metric: "RSS 1 s after start", value: started[i] ?? NaN, unit: "MB" });
      rows.push({ name: t.label, metric: "RSS idle", value: await rssMb(t.child.pid), unit: "MB" });
      // The rest is file-backed: Node's own binary and libraries, about 34 MB for a bare `node`.
      rows.push({
        name: t.label,
        metric: "RSS idle, anonymous part",
        value: await rssMb(t.child.pid, "RssAnon"),
        unit: "MB",
      });
    }

    // A busy pod's rate, all three at once, before the saturating runs grow the heaps.
    const rate = options.steadyRate ?? 200;
    const steadyPeaks = targets.map((t) => ({ t, sampler: rssPeak(t.child.pid) }));
    await steadyLoad(targets, rate, options.steadySeconds ?? 15);
    for (const { t, sampler } of steadyPeaks)
      rows.push(...peakRows(t.label, `a steady ${rate} Checks/s`, sampler.stop()));

    const p50: Record<string, number> = {};
    const p99: Record<string, number> = {};
    const roundP99: Record<string, readonly number[]> = {};
    let peaks = targets.map((t) => ({ t, sampler: rssPeak(t.child.pid) }));
    for (const c of concurrencies) {
      const results = await checkLoads(targets, c, seconds, options.rounds ?? 10);
      for (const t of targets) {
        const r = results.get(t)!;
        p50[`${t.label}@${c}`] = r.p50;
        p99[`${t.label}@${c}`] = r.p99;
        roundP99[`${t.label}@${c}`] = r.roundP99;
        rows.push({ name: `${t.label} c=${c}`, metric: "Check p50", value: r.p50, unit: "ms" });
        rows.push({ name: `${t.label} c=${c}`, metric: "Check p99", value: r.p99, unit: "ms" });
        rows.push({ name: `${t.label} c=${c}`, metric: "Check throughput", value: r.perSec, unit: "/s" });
      }
    }
    for (const { t, sampler } of peaks)
      rows.push(...peakRows(t.label, "Checks at saturation", sampler.stop()));
    peaks = [{ t: tmRedis, sampler: rssPeak(tmRedis.child.pid) }];
    const alsPerSec = await alsLoad(
      tmRedis,
      options.alsEntries ?? 100_000,
      options.alsBatch ?? 100,
      options.alsStreams ?? 2,
      options.alsMaxAhead ?? 10_000,
    );
    rows.push({ name: tmRedis.label, metric: "ALS entries ingested", value: alsPerSec, unit: "/s" });
    for (const { t, sampler } of peaks) rows.push(...peakRows(t.label, "ALS", sampler.stop()));

    const floor = targets[0]!.label;
    const redisLabel = tmRedis.label;
    if (concurrencies.includes(1))
      rows.push({
        name: "goal p50@1: TM redis − floor (≤ 0.5)",
        metric: "Check p50 gap",
        value: (p50[`${redisLabel}@1`] ?? NaN) - (p50[`${floor}@1`] ?? NaN),
        unit: "ms",
      });
    if (concurrencies.includes(16)) {
      const name = "goal p99@16: TM redis − floor (≤ 1)";
      rows.push({
        name,
        metric: "Check p99 gap",
        value: (p99[`${redisLabel}@16`] ?? NaN) - (p99[`${floor}@16`] ?? NaN),
        unit: "ms",
      });
      // How far one round's p99 moves on this machine: the resolution of the gap above.
      const floorRounds = roundP99[`${floor}@16`] ?? [];
      const redisRounds = roundP99[`${redisLabel}@16`] ?? [];
      rows.push({
        name,
        metric: "Check p99 gap, median of the rounds' gaps",
        value: median(redisRounds.map((v, i) => v - (floorRounds[i] ?? NaN))),
        unit: "ms",
      });
      rows.push({
        name,
        metric: "floor's p99, range over its rounds",
        value: Math.max(...floorRounds) - Math.min(...floorRounds),
        unit: "ms",
      });
    }
  } finally {
    for (const t of targets) await stop(t).catch(() => undefined);
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await benchTraceManager();
  console.table(rows.map((r) => ({ ...r, value: Number(r.value.toFixed(3)) })));
}
