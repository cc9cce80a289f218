/**
 * The demo (`npm start`): the logistics system on the local mesh at v1 with users placing and
 * tracking orders; auth-service upgraded v1 → v2 in steps; then auth-service v2 → v3 and
 * order-service v1 → v2 as a release train. The `bad-release` scenario upgrades to a v2 that
 * fails its analysis and rolls back. Ends with a report graded from outside the TraceManager.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pino, { type Logger } from "pino";
import { startMesh, type MeshHandle } from "../../../istio/local-mesh/runtime/mesh-runtime.js";
import { loadTopology } from "../../../istio/local-mesh/runtime/topology.js";
import { runLoad, type LoadReport } from "../../../sample-services/load/index.js";
import type { UpgradeSpec } from "../../engine/types.js";
import { startLocalController, type LocalController } from "../local-controller.js";
import type { NotifySettings } from "../../notify/notify-config.js";
import { demoTimings, type DemoTimings } from "./demo-settings.js";
import { renderReport, type DemoReport, type UpgradeOutcome } from "./demo-report.js";
import { gradeRemovals } from "./removal-grade.js";
import { Scenario } from "./scenario.js";
import { waitUntilServing } from "./warm-up.js";
import { watchUpgrade, type LiveLine } from "./watch-upgrade.js";

const here = dirname(fileURLToPath(import.meta.url));

/** Options of {@link runDemo}. */
export interface DemoOptions {
  readonly scenario: Scenario;
  /** Shorter steps and windows (the test suite's demo). */
  readonly quick: boolean;
  /** Keep users busy for at least this long in total (seconds). */
  readonly durationSeconds?: number;
  /** Run every store on Redis instead of memory. */
  readonly redisUrl?: string;
  /** Where the JSON report goes (default `.tranquil/reports/demo-<time>.json`). */
  readonly reportPath?: string;
  /** Where component logs go (default next to the report). */
  readonly logPath?: string;
  /** Progress output. */
  readonly out: (line: string) => void;
  /** On a terminal: a live line under the progress, redrawn in place (see terminalLiveLine). */
  readonly live?: LiveLine;
  /** Stops the demo early (SIGINT); the report still covers what ran. */
  readonly signal?: AbortSignal;
  /** Where the controller sends notifications (docs/notifications.md). */
  readonly notify?: NotifySettings;
}

/** One planned upgrade of the demo. */
interface PlannedUpgrade {
  readonly name: string;
  readonly spec: UpgradeSpec;
  readonly expectedPhase: "Succeeded" | "RolledBack";
}

function plan(scenario: Scenario, t: DemoTimings): PlannedUpgrade[] {
  const strategy = {
    steps: [...t.steps],
    stepInterval: t.stepInterval,
    analysis: { successRate: { min: 95 } },
  };
  if (scenario === Scenario.BadRelease) {
    return [
      {
        name: "auth-v2-bad",
        spec: { services: [{ name: "auth-service", from: "v1", to: "v2" }], strategy },
        expectedPhase: "RolledBack",
      },
    ];
  }
  return [
    {
      name: "auth-v2",
      spec: { services: [{ name: "auth-service", from: "v1", to: "v2" }], strategy },
      expectedPhase: "Succeeded",
    },
    {
      name: "train-auth-order",
      spec: {
        services: [
          { name: "auth-service", from: "v2", to: "v3" },
          { name: "order-service", from: "v1", to: "v2" },
        ],
        strategy,
      },
      expectedPhase: "Succeeded",
    },
  ];
}

/** Creates an upgrade through the controller's HTTP API, as the CLI would. */
async function createUpgrade(ctl: LocalController, u: PlannedUpgrade): Promise<void> {
  const res = await fetch(`${ctl.apiUrl}/v1/upgrades`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${ctl.token}` },
    body: JSON.stringify({ name: u.name, spec: u.spec }),
  });
  if (!res.ok) throw new Error(`the controller refused upgrade ${u.name}: ${res.status} ${await res.text()}`);
}

function defaultReportPath(): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  return resolve(".tranquil", "reports", `demo-${stamp}.json`);
}

/** Runs the demo and returns its report and the process exit code (0 when every guarantee held). */
export async function runDemo(options: DemoOptions): Promise<{ report: DemoReport; exitCode: number }> {
  const out = options.out;
  const t = demoTimings(options.quick);
  const reportPath = options.reportPath ?? defaultReportPath();
  const logPath = options.logPath ?? reportPath.replace(/\.json$/, ".log");
  await mkdir(dirname(reportPath), { recursive: true });
  await mkdir(dirname(logPath), { recursive: true });
  const logger: Logger = pino(
    { level: "info" },
    pino.destination({ dest: logPath, sync: false, mkdir: true }),
  );
  const startedAt = Date.now();

  out(
    `Starting the local mesh (logistics services at v1, ${options.redisUrl ? "Redis" : "in-memory"} stores) …`,
  );
  const topology = await loadTopology(
    join(here, options.scenario === Scenario.BadRelease ? "bad-release.topology.yaml" : "demo.topology.yaml"),
  );
  const mesh: MeshHandle = await startMesh(topology, {
    logger,
    pushDelay: t.pushDelay,
    workerLag: t.workerLag,
    traceManager: { heartbeatMs: t.traceManagerHeartbeatMs },
    ...(options.redisUrl !== undefined ? { storeUrl: options.redisUrl } : {}),
  });
  // Each demo starts from no upgrades: its state file belongs to this run only.
  const statePath = reportPath.replace(/\.json$/, ".upgrades.json");
  await rm(statePath, { force: true });
  const ctl = await startLocalController({
    mesh,
    logger,
    settings: t.settings,
    intervalMs: t.reconcileIntervalMs,
    statePath,
    ...(options.notify !== undefined ? { notify: options.notify } : {}),
  });
  out(`  ingress ${mesh.ingressUrl}   controller API ${ctl.apiUrl}   logs ${logPath}`);
  out(`  dashboard ${ctl.apiUrl}/dashboard/`);
  await waitUntilServing(mesh.ingressUrl);

  const stopStarting = new AbortController();
  const load: Promise<LoadReport> = runLoad({
    baseUrl: mesh.ingressUrl,
    durationMs: 24 * 3_600_000,
    maxJourneys: 1_000_000,
    ratePerSecond: options.quick ? 4 : 6,
    concurrency: options.quick ? 4 : 6,
    slowFraction: 0.1,
    slowDelayMs: { min: 1_000, max: options.quick ? 2_000 : 4_000 },
    stopStarting: stopStarting.signal,
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  });
  out("Users are placing and tracking orders (10% of order creations are held open for seconds) …");

  const outcomes: UpgradeOutcome[] = [];
  try {
    await sleep(options.quick ? 1_000 : 3_000, options.signal);
    for (const u of plan(options.scenario, t)) {
      if (options.signal?.aborted) break;
      out("");
      out(
        `Upgrading ${u.spec.services.map((s) => `${s.name} ${s.from} → ${s.to}`).join(" and ")} (steps ${t.steps.join(", ")}%) …`,
      );
      const began = Date.now();
      await createUpgrade(ctl, u);
      const final = await watchUpgrade(
        ctl.store,
        { namespace: mesh.topology.namespace, name: u.name },
        out,
        5 * 60_000,
        options.live !== undefined ? { live: options.live } : {},
      );
      outcomes.push({
        name: u.name,
        services: u.spec.services.map((s) => `${s.name} ${s.from}→${s.to}`),
        phase: final.status.phase,
        expectedPhase: u.expectedPhase,
        durationSeconds: (Date.now() - began) / 1000,
        reason: final.status.engine.reason,
      });
      if (final.status.phase !== u.expectedPhase) {
        out(`  ${u.name} ended ${final.status.phase}, not ${u.expectedPhase}; skipping the rest of the plan`);
        break;
      }
    }
    const minimumMs = (options.durationSeconds ?? 0) * 1000;
    if (Date.now() - startedAt < minimumMs) {
      out(`Keeping users busy until ${options.durationSeconds} s have passed …`);
      await sleep(minimumMs - (Date.now() - startedAt), options.signal);
    }
  } finally {
    stopStarting.abort();
  }
  out("Letting the users' last transactions finish …");
  const loadReport = await load;
  const violations = (await mesh.traceStore.violations()).total;
  const removals = gradeRemovals(ctl.workloads.removals(), t.bound, await ctl.store.list());
  await ctl.stop();
  await mesh.stop();
  logger.flush();

  const s = loadReport.summary;
  const upgradesOk = outcomes.length > 0 && outcomes.every((o) => o.phase === o.expectedPhase);
  // A bad release fails some of its own requests during its canary step; those are its, not the
  // upgrade's. Every other failure counts against the upgrade (G2).
  const newVersions = new Set(
    plan(options.scenario, t).flatMap((u) => u.spec.services.map((m) => `${m.name}@${m.to}`)),
  );
  const failedByUpgrade = loadReport.transactions.filter(
    (tx) =>
      !tx.ok && (options.scenario !== Scenario.BadRelease || !tx.servedBy.some((v) => newVersions.has(v))),
  ).length;
  const failuresOk = failedByUpgrade === 0;
  const report: DemoReport = {
    scenario: options.scenario,
    startedAt: new Date(startedAt).toISOString(),
    durationSeconds: (Date.now() - startedAt) / 1000,
    store: options.redisUrl !== undefined ? "redis" : "memory",
    upgrades: outcomes,
    transactions: s.total,
    failedRequests: s.failed,
    failedByUpgrade,
    mixedVersionTransactions: s.mixed,
    traceManagerViolations: violations,
    removals,
    g3Bound: t.bound,
    load: s,
    ok: upgradesOk && failuresOk && s.mixed === 0 && violations === 0 && removals.every((r) => r.withinBound),
  };
  await writeFile(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  for (const line of renderReport(report, reportPath)) out(line);
  return { report, exitCode: report.ok ? 0 : 1 };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((done) => {
    if (signal?.aborted === true) {
      done();
      return;
    }
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        done();
      },
      { once: true },
    );
  });
}
