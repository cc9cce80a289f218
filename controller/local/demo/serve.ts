/**
 * `npm start -- --serve`: the local mesh and its controller, kept running for the `tranquil`
 * CLI and the dashboard (API on 127.0.0.1:7070 by default, the dashboard at /dashboard/), with
 * users placing orders until Ctrl-C. Then it
 * prints what the users saw (failed and mixed-version transactions).
 */
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { startMesh, type MeshHandle } from "../../../istio/local-mesh/runtime/mesh-runtime.js";
import { loadTopology } from "../../../istio/local-mesh/runtime/topology.js";
import { runLoad } from "../../../sample-services/load/index.js";
import { FileUpgradeStore, type EndedRetention } from "../file-upgrade-store.js";
import { startLocalController, type LocalController } from "../local-controller.js";
import type { NotifySettings } from "../../notify/notify-config.js";
import { openLogFile, type LogFile } from "../log-file.js";
import { demoTimings } from "./demo-settings.js";
import { endUpgradesOfPreviousMesh, MESH_RESTARTED_MESSAGE } from "./previous-mesh.js";
import { waitUntilServing } from "./warm-up.js";

const here = dirname(fileURLToPath(import.meta.url));

/** Options of {@link serveLocal}. */
export interface ServeOptions {
  readonly apiPort: number;
  /** Bearer token for the API; generated when absent. */
  readonly token?: string;
  readonly redisUrl?: string;
  /** The Prometheus the analysis queries (`--prometheus`). */
  readonly prometheusAddress?: string;
  /** Where the controller sends notifications (docs/notifications.md). */
  readonly notify?: NotifySettings;
  /** Where the upgrades' state lives (survives a restart of this command). */
  readonly statePath: string;
  readonly logPath: string;
  readonly out: (line: string) => void;
  readonly signal: AbortSignal;
}

/** How many ended upgrades `--serve` keeps in its state file, and how long (docs/local-serve.md). */
export const SERVE_ENDED_RETENTION: EndedRetention = { count: 50, maxAgeMs: 7 * 24 * 3_600_000 };

/**
 * Runs until `signal` aborts; resolves to the exit status. When something fails to start (the
 * state file is refused or locked, the API port is busy, the mesh does not come up) it stops
 * what it had started, in reverse order, and rejects with the cause.
 */
export async function serveLocal(options: ServeOptions): Promise<number> {
  const t = demoTimings(false);
  // The state file first: a refused or locked one fails in a moment, before anything runs.
  const store = await FileUpgradeStore.open({
    path: options.statePath,
    endedRetention: SERVE_ENDED_RETENTION,
  });
  // What has started, stopped in reverse order on a failure (closing the store twice is harmless).
  const started: (() => Promise<void>)[] = [() => store.close()];
  const stopStarted = async (): Promise<void> => {
    for (const stop of started.reverse()) await stopWithin(stop, STOP_STEP_TIMEOUT_MS);
  };
  try {
    for (const u of await endUpgradesOfPreviousMesh(store, Date.now())) {
      options.out(
        `Upgrade ${u.namespace}/${u.name} was in progress on the previous mesh: ${MESH_RESTARTED_MESSAGE}`,
      );
    }
    // One log file across runs, rotated by size (docs/local-serve.md).
    const logFile = openLogFile({ path: options.logPath });
    const logger = pino({ level: "info" }, logFile.destination);
    started.push(() => logFile.close());
    options.out("Starting the local mesh and the controller …");
    const mesh = await startMesh(await loadTopology(join(here, "demo.topology.yaml")), {
      logger,
      pushDelay: t.pushDelay,
      workerLag: t.workerLag,
      traceManager: { heartbeatMs: t.traceManagerHeartbeatMs },
      ...(options.redisUrl !== undefined ? { storeUrl: options.redisUrl } : {}),
    });
    started.push(() => mesh.stop());
    const ctl = await startLocalController({
      mesh,
      logger,
      settings: t.settings,
      intervalMs: t.reconcileIntervalMs,
      apiPort: options.apiPort,
      store,
      ...(options.token !== undefined ? { token: options.token } : {}),
      ...(options.prometheusAddress !== undefined ? { prometheusAddress: options.prometheusAddress } : {}),
      ...(options.notify !== undefined ? { notify: options.notify } : {}),
    });
    started.push(() => ctl.stop());
    await waitUntilServing(mesh.ingressUrl);
    return await serveUntilAborted(options, mesh, ctl, logFile);
  } catch (err) {
    await stopStarted();
    throw err;
  }
}

/** The longest one part (the controller, the mesh) may take to stop after a failed start. */
const STOP_STEP_TIMEOUT_MS = 10_000;

/** Runs `stop`, giving up after `ms`: a failed start reports its cause whatever hangs. */
async function stopWithin(stop: () => Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([stop().catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function serveUntilAborted(
  options: ServeOptions,
  mesh: MeshHandle,
  ctl: LocalController,
  logFile: LogFile,
): Promise<number> {
  const stopStarting = new AbortController();
  const load = runLoad({
    baseUrl: mesh.ingressUrl,
    durationMs: 7 * 24 * 3_600_000,
    maxJourneys: Number.MAX_SAFE_INTEGER,
    ratePerSecond: 4,
    concurrency: 4,
    slowFraction: 0.1,
    stopStarting: stopStarting.signal,
  });
  options.out(
    [
      `  ingress (logistics-api): ${mesh.ingressUrl}`,
      `  controller API:          ${ctl.apiUrl}`,
      `  dashboard:               ${ctl.apiUrl}/dashboard/  (paste the token below to pause, resume, promote or abort)`,
      `  logs:                    ${options.logPath}`,
      "",
      "Users are placing and tracking orders. In another terminal:",
      `  export TRANQUIL_URL=${ctl.apiUrl} TRANQUIL_TOKEN=${ctl.token}`,
      "  npx tranquil upgrade auth-service --from v1 --to v2 --steps 10,50,100 --step-interval 10s --watch",
      "  npx tranquil status",
      "",
      "Press Ctrl-C to stop.",
    ].join("\n"),
  );
  await new Promise<void>((resolve) => {
    if (options.signal.aborted) resolve();
    else options.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  stopStarting.abort();
  const report = await load;
  await ctl.stop();
  await mesh.stop();
  await logFile.close();
  const s = report.summary;
  options.out(`Users ran ${s.total} transactions: ${s.failed} failed, ${s.mixed} mixed-version.`);
  return s.failed === 0 && s.mixed === 0 ? 0 : 1;
}
