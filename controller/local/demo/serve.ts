/**
 * `npm start -- --serve`: the local mesh and its controller, kept running for the `tranquil`
 * CLI (API on 127.0.0.1:7070 by default), with users placing orders until Ctrl-C. Then it
 * prints what the users saw (failed and mixed-version transactions).
 */
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { startMesh } from "../../../istio/local-mesh/runtime/mesh-runtime.js";
import { loadTopology } from "../../../istio/local-mesh/runtime/topology.js";
import { runLoad } from "../../../sample-services/load/index.js";
import { startLocalController } from "../local-controller.js";
import { demoTimings } from "./demo-settings.js";
import { waitUntilServing } from "./warm-up.js";

const here = dirname(fileURLToPath(import.meta.url));

/** Options of {@link serveLocal}. */
export interface ServeOptions {
  readonly apiPort: number;
  /** Bearer token for the API; generated when absent. */
  readonly token?: string;
  readonly redisUrl?: string;
  /** Where the upgrades' state lives (survives a restart of this command). */
  readonly statePath: string;
  readonly logPath: string;
  readonly out: (line: string) => void;
  readonly signal: AbortSignal;
}

/** Runs until `signal` aborts; resolves to the exit status. */
export async function serveLocal(options: ServeOptions): Promise<number> {
  const t = demoTimings(false);
  const logger = pino(
    { level: "info" },
    pino.destination({ dest: options.logPath, sync: false, mkdir: true }),
  );
  options.out("Starting the local mesh and the controller …");
  const mesh = await startMesh(await loadTopology(join(here, "demo.topology.yaml")), {
    logger,
    pushDelay: t.pushDelay,
    workerLag: t.workerLag,
    traceManager: { heartbeatMs: t.traceManagerHeartbeatMs },
    ...(options.redisUrl !== undefined ? { storeUrl: options.redisUrl } : {}),
  });
  const ctl = await startLocalController({
    mesh,
    logger,
    settings: t.settings,
    intervalMs: t.reconcileIntervalMs,
    apiPort: options.apiPort,
    statePath: options.statePath,
    ...(options.token !== undefined ? { token: options.token } : {}),
  });
  await waitUntilServing(mesh.ingressUrl);
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
  const s = report.summary;
  options.out(`Users ran ${s.total} transactions: ${s.failed} failed, ${s.mixed} mixed-version.`);
  return s.failed === 0 && s.mixed === 0 ? 0 : 1;
}
