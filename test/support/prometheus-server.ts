/**
 * A real Prometheus (Debian's `prometheus`, /usr/bin/prometheus) for tests: on a free loopback
 * port, a temporary TSDB, and a generated config whose scrape jobs read file-based service
 * discovery, so a test points it at the local mesh's proxies (`/stats/prometheus`), the
 * TraceManagers' and the controller's `/metrics` as they come and go. Stopped by pid, also
 * when the test process exits without calling `stop()`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "./redis-server.js";

/** The binary the setup scripts install. */
export const PROMETHEUS_BINARY = process.env.TRANQUIL_PROMETHEUS_BINARY ?? "/usr/bin/prometheus";

/** The scrape jobs of the generated config, and the path each scrapes. */
export const ScrapeJobs = {
  /** Envoy-shaped proxies of the local mesh: Istio's standard metrics. */
  proxies: "/stats/prometheus",
  /** TraceManagers' admin endpoints. */
  traceManagers: "/metrics",
  /** The controller's `/metrics`. */
  controller: "/metrics",
} as const;
/** One scrape job's name. */
export type ScrapeJob = keyof typeof ScrapeJobs;

/** One target of a job: `127.0.0.1:<port>` and labels Prometheus attaches to its series. */
export interface ScrapeTarget {
  readonly address: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** A running test Prometheus. */
export interface TestPrometheus {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The process id (stopped by it). */
  readonly pid: number;
  /** Replaces a job's targets (file-based discovery picks them up within about a second). */
  setTargets(job: ScrapeJob, targets: readonly ScrapeTarget[]): Promise<void>;
  /** Resolves once every target Prometheus knows of `job` was scraped up, at least `count` of them. */
  waitForTargets(job: ScrapeJob, count: number, timeoutMs?: number): Promise<void>;
  /** Runs an instant query and returns the API's `data.result`. */
  query(promql: string): Promise<unknown>;
  /** Stops the process (SIGTERM, then SIGKILL) and removes its directory. */
  stop(): Promise<void>;
}

/** Options of a test Prometheus. */
export interface TestPrometheusOptions {
  /** Scrape and evaluation interval (default "1s"). */
  readonly scrapeInterval?: string;
}

function configYaml(dir: string, interval: string): string {
  const jobs = (Object.keys(ScrapeJobs) as ScrapeJob[]).map(
    (job) => `  - job_name: ${job}
    metrics_path: ${ScrapeJobs[job]}
    file_sd_configs:
      - files: [${JSON.stringify(join(dir, `${job}.json`))}]
        refresh_interval: 1s`,
  );
  return `global:
  scrape_interval: ${interval}
  scrape_timeout: ${interval}
  evaluation_interval: ${interval}
scrape_configs:
${jobs.join("\n")}
`;
}

async function writeTargets(dir: string, job: ScrapeJob, targets: readonly ScrapeTarget[]): Promise<void> {
  const groups = targets.map((t) => ({ targets: [t.address], labels: t.labels ?? {} }));
  const file = join(dir, `${job}.json`);
  // Written whole, then renamed: discovery never reads half a file.
  await writeFile(`${file}.tmp`, JSON.stringify(groups));
  await rename(`${file}.tmp`, file);
}

async function waitUntilReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const until = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${output()}`);
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > until) throw new Error(`prometheus at ${url} was not ready within 20 s: ${output()}`);
    await sleep(100);
  }
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Starts Prometheus; call `stop()` in `afterAll` (an exit handler kills it otherwise). */
export async function startTestPrometheus(options: TestPrometheusOptions = {}): Promise<TestPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), "tranquil-prometheus-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  for (const job of Object.keys(ScrapeJobs) as ScrapeJob[]) await writeTargets(dir, job, []);
  await writeFile(join(dir, "prometheus.yml"), configYaml(dir, options.scrapeInterval ?? "1s"));
  const child = spawn(
    PROMETHEUS_BINARY,
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--storage.tsdb.retention.time=1h",
      "--log.level=warn",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  child.once("error", (err) => {
    stderr += `\n${err.message}`;
  });
  running.add(child);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(killer);
    }
    running.delete(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(url, child, () => stderr);
  } catch (err) {
    await stop();
    throw err;
  }
  const api = async (path: string): Promise<unknown> => {
    const res = await fetch(`${url}${path}`);
    const doc = (await res.json()) as { status: string; data?: unknown; error?: string };
    if (doc.status !== "success") throw new Error(`prometheus ${path}: ${doc.error ?? res.status}`);
    return doc.data;
  };
  return {
    url,
    port,
    pid: child.pid ?? 0,
    setTargets: (job, targets) => writeTargets(dir, job, targets),
    waitForTargets: async (job, count, timeoutMs = 15_000) => {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const data = (await api("/api/v1/targets?state=active")) as {
          activeTargets: { labels: { job?: string }; health: string }[];
        };
        const mine = data.activeTargets.filter((t) => t.labels.job === job);
        if (mine.length >= count && mine.every((t) => t.health === "up")) return;
        if (Date.now() > until) {
          throw new Error(
            `prometheus: job ${job} has ${mine.filter((t) => t.health === "up").length}/${mine.length} targets up, wanted ${count}`,
          );
        }
        await sleep(200);
      }
    },
    query: async (promql) =>
      ((await api(`/api/v1/query?query=${encodeURIComponent(promql)}`)) as { result: unknown }).result,
    stop,
  };
}
